import { describe, expect, it } from "vitest";
import { parseWholeNumber, parseYear, westernDigits } from "./numbers";

const ok = (value: number) => ({ kind: "ok", value });
const invalid = { kind: "invalid" };

describe("parseWholeNumber", () => {
  it.each([
    ["250000", 250000],
    ["٢٥٠٠٠٠", 250000], // Arabic-Indic
    ["۲۵۰۰۰۰", 250000], // Eastern Arabic / Persian
    ["15 000", 15000],
    ["15\u00a0000", 15000], // no-break space
    ["15\u202f000", 15000], // narrow no-break space (French number formatting)
    ["15\u2009000", 15000], // thin space
    ["120 000 €", 120000],
    ["€120,000", 120000],
    ["120000€", 120000],
    ["EUR 15.000", 15000],
    ["15 000 euros", 15000],
    ["١٥٠٠٠ يورو", 15000],
    ["١٥٬٠٠٠", 15000], // Arabic thousands separator
    ["1.250.000", 1250000],
    ["1,250,000", 1250000],
    ["1’250’000", 1250000],
    ["1 234,50", 1235], // cents: rounded
    ["1.234,49", 1234],
    ["1,234.5", 1235],
    ["١٢٣٫٧", 124], // Arabic decimal separator
    ["\u200f٢٥٠٠٠\u200f", 25000], // right-to-left marks from a phone keyboard
    ["  42  ", 42],
    ["0", 0],
  ])("reads %j as %d", (raw, value) => {
    expect(parseWholeNumber(raw)).toEqual(ok(value));
  });

  it.each([[""], ["   "], ["\u200f"]])("reads %j as empty", (raw) => {
    expect(parseWholeNumber(raw)).toEqual({ kind: "empty" });
  });

  it.each([
    ["abc"],
    ["€"],
    ["-500"],
    ["12,34,567"], // groups of three only
    ["1.50.000"],
    ["15 000 $"], // not euros
    ["120 000 ل.ل"],
    ["1e6"],
    ["15,000.000.5"],
    ["1,2,3"],
    ["99999999999999999999"],
    ["12.3.4"],
  ])("refuses %j", (raw) => {
    expect(parseWholeNumber(raw)).toEqual(invalid);
  });
});

describe("parseYear", () => {
  it.each([
    ["2010", 2010],
    ["٢٠١٠", 2010],
    ["۱۹۹۸", 1998],
    [" 2 009 ", 2009],
  ])("reads %j as %d", (raw, value) => {
    expect(parseYear(raw)).toEqual(ok(value));
  });
  it.each([["10"], ["20100"], ["1800"], ["2200"], ["two"]])("refuses %j", (raw) => {
    expect(parseYear(raw)).toEqual(invalid);
  });
  it("is empty when nothing is typed", () => {
    expect(parseYear(" ")).toEqual({ kind: "empty" });
  });
});

describe("westernDigits", () => {
  it("maps both Arabic digit sets and leaves the rest", () => {
    expect(westernDigits("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ abc")).toBe("0123456789 0123456789 abc");
  });
});
