import { describe, expect, it } from "vitest";
import { ar } from "./ar";
import { en } from "./en";
import { fr, type MessageKey } from "./fr";
import { dirOf, makeI18n, translate } from "./index";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  const keys = Object.keys(fr) as MessageKey[];
  it.each([
    ["en", en],
    ["ar", ar],
  ] as const)("%s has every French key, non-empty, with the same placeholders", (_, dict) => {
    expect(Object.keys(dict).sort()).toEqual([...keys].sort());
    for (const k of keys) {
      expect(dict[k].trim(), k).not.toBe("");
      expect(placeholders(dict[k]), k).toEqual(placeholders(fr[k]));
    }
  });
  it("Arabic labels are written in Arabic", () => {
    const latinOnly = (Object.keys(ar) as MessageKey[]).filter((k) => !/[\u0600-\u06ff]/.test(ar[k]));
    expect(latinOnly).toEqual([]);
  });
});

describe("translate", () => {
  it("fills placeholders", () => {
    expect(translate("fr", "dir.count", { n: "12" })).toBe("12 collectivités");
    expect(translate("en", "error.throttled", { minutes: 15 })).toContain("15 minutes");
  });
  it("gives the direction of each language", () => {
    expect(dirOf("ar")).toBe("rtl");
    expect(dirOf("fr")).toBe("ltr");
    expect(dirOf("en")).toBe("ltr");
  });
  it("translates enum values and falls back to the raw value", () => {
    const i = makeI18n("en");
    expect(i.tv("kind", "union_of_municipalities")).toBe("Union of municipalities");
    expect(i.tv("kind", "unknown_kind")).toBe("unknown_kind");
    expect(i.tv("kind", null)).toBe("—");
  });
});
