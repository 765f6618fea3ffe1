/**
 * Whole numbers as people type them on a phone in Lebanon or France: Arabic-Indic (٠-٩) and Eastern
 * Arabic / Persian (۰-۹) digits, spaces of any kind (no-break, narrow no-break, thin), thousands
 * separators (`15 000`, `15.000`, `15,000`, `15’000`, `١٥٬٠٠٠`), a euro sign or word (`€`, `EUR`,
 * `euros`, `يورو`) on either side, and the direction marks phones slip in. A decimal part of one or
 * two digits (`1 234,50`) is rounded to the nearest whole number.
 */

export type ParsedNumber =
  | { kind: "empty" }
  | { kind: "ok"; value: number }
  | { kind: "invalid" };

const ARABIC_INDIC = 0x0660; // ٠
const EASTERN_ARABIC = 0x06f0; // ۰

/** Western digits for Arabic-Indic and Eastern Arabic ones; everything else unchanged. */
export function westernDigits(raw: string): string {
  return raw.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => {
    const code = d.charCodeAt(0);
    return String(code - (code >= EASTERN_ARABIC ? EASTERN_ARABIC : ARABIC_INDIC));
  });
}

// Direction marks and other invisible format characters a keyboard or a paste may add.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]/g;
// The euro, said in a sign, a code or a word (French, English, Arabic), at either end.
const EURO = /^(?:€|eur(?:os?)?|يورو)|(?:€|eur(?:os?)?|يورو)$/i;
const GROUPED = /^\d{1,3}(?:([.,'’٬])\d{3})(?:\1\d{3})*$/;

export function parseWholeNumber(raw: string): ParsedNumber {
  let s = westernDigits(raw).replace(INVISIBLE, "").trim();
  if (s === "") return { kind: "empty" };
  // A currency marker once, at the start or the end (around spaces).
  s = s.replace(EURO, "").trim();
  s = s.replace(/\s+/g, "");
  if (s === "" || !/^\d[\d.,'’٬٫]*$/.test(s)) return { kind: "invalid" };
  let whole = s;
  let fraction = "";
  // Arabic decimal separator: always a decimal point.
  const arabicDecimal = s.indexOf("٫");
  if (arabicDecimal >= 0) {
    whole = s.slice(0, arabicDecimal);
    fraction = s.slice(arabicDecimal + 1);
    if (!/^\d+$/.test(fraction)) return { kind: "invalid" };
  } else {
    // One or two digits after the last `.` or `,` are cents; three are a thousands group.
    const m = /^(.*\d)[.,](\d{1,2})$/.exec(s);
    if (m) {
      whole = m[1];
      fraction = m[2];
    }
  }
  if (!/^\d+$/.test(whole)) {
    if (!GROUPED.test(whole)) return { kind: "invalid" };
    whole = whole.replace(/[.,'’٬]/g, "");
  }
  const value = Math.round(Number(`${whole}.${fraction || "0"}`));
  if (!Number.isSafeInteger(value)) return { kind: "invalid" };
  return { kind: "ok", value };
}

/** A year of four digits (any of the three digit sets, spaces and marks ignored), within [min, max]. */
export function parseYear(raw: string, min = 1950, max = 2100): ParsedNumber {
  const s = westernDigits(raw).replace(INVISIBLE, "").replace(/\s+/g, "");
  if (s === "") return { kind: "empty" };
  if (!/^\d{4}$/.test(s)) return { kind: "invalid" };
  const value = Number(s);
  return value < min || value > max ? { kind: "invalid" } : { kind: "ok", value };
}
