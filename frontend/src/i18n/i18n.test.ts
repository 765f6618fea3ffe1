import { describe, expect, it, vi } from "vitest";
import { ar } from "./ar";
import { en } from "./en";
import { fr, type MessageKey } from "./fr";
import { browserLang, dirOf, makeI18n, storedLang, translate } from "./index";

const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]))].sort();

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
    expect(translate("fr", "dir.count", { n: 12 })).toBe("12 collectivités");
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

describe("plural forms", () => {
  it("says 1 collectivité, 0 collectivité and 2 collectivités in French, numbers written in the language", () => {
    expect(translate("fr", "dir.count", { n: 1 })).toBe("1 collectivité");
    expect(translate("fr", "dir.count", { n: 0 })).toBe("0 collectivité");
    expect(translate("fr", "dir.count", { n: 2 })).toBe("2 collectivités");
    expect(translate("fr", "needs.count", { n: 20000 })).toBe("20\u202f000 besoins");
    expect(translate("en", "needs.count", { n: 1 })).toBe("1 need");
    expect(translate("en", "dir.count", { n: 3 })).toBe("3 local authorities");
  });
  it("uses the six Arabic categories", () => {
    expect(translate("ar", "dir.count", { n: 1 })).toBe("سلطة محلية واحدة");
    expect(translate("ar", "dir.count", { n: 2 })).toBe("سلطتان محليتان");
    expect(translate("ar", "dir.count", { n: 5 })).toBe("5 سلطات محلية");
    expect(translate("ar", "dir.count", { n: 31 })).toBe("31 سلطة محلية");
  });
  it("still chooses the form when the number comes already written", () => {
    expect(translate("fr", "needs.count", { n: "1" })).toBe("1 besoin");
  });
});

describe("first visit", () => {
  it("takes the browser's language when none was chosen on this device", () => {
    expect(browserLang(["ar-LB", "fr"])).toBe("ar");
    expect(browserLang(["de-DE", "en-US"])).toBe("en");
    expect(browserLang(["de-DE"])).toBe("fr");
    expect(browserLang([])).toBe("fr");
  });
  it("an Arabic phone opens in Arabic, a choice made before wins", () => {
    const spy = vi.spyOn(navigator, "languages", "get").mockReturnValue(["ar-LB", "ar", "en"]);
    try {
      localStorage.removeItem("jisr.lang");
      expect(storedLang()).toBe("ar");
      localStorage.setItem("jisr.lang", "en");
      expect(storedLang()).toBe("en");
    } finally {
      localStorage.removeItem("jisr.lang");
      spy.mockRestore();
    }
  });
});
