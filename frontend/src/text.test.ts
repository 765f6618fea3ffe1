import { describe, expect, it } from "vitest";
import { fold } from "./text";

describe("fold", () => {
  it("ignores case and accents", () => {
    expect(fold("Saïda")).toBe("saida");
    expect(fold("ÉVRY-Courcouronnes")).toBe("evry courcouronnes");
  });
  it("unifies Arabic letter variants and strips diacritics and tatweel", () => {
    expect(fold("صَيْدا")).toBe(fold("صيدا"));
    expect(fold("أبو")).toBe(fold("ابو"));
    expect(fold("مدرسة")).toBe(fold("مدرسه"));
    expect(fold("طـرابلس")).toBe("طرابلس");
  });
  it("handles empty input", () => {
    expect(fold(null)).toBe("");
    expect(fold("")).toBe("");
  });
});
