import { describe, expect, it } from "vitest";
import { match, withQuery } from "./router";

describe("router", () => {
  it("matches patterns with parameters", () => {
    expect(match("/collectivities/:id", "/collectivities/abc")).toEqual({ id: "abc" });
    expect(match("/collectivities/:id", "/collectivities")).toBeNull();
    expect(match("/", "/")).toEqual({});
    expect(match("/census/:token", "/census/a%20b")).toEqual({ token: "a b" });
  });
  it("builds query strings without empty values", () => {
    expect(withQuery("/needs", { q: "eau", status: "", offset: 0, tag: null })).toBe("/needs?q=eau&offset=0");
    expect(withQuery("/needs", {})).toBe("/needs");
  });
});
