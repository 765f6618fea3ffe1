// Fold text for client-side filtering the way the API's core/text.py does:
// case, accents, Arabic diacritics and letter variants, separators.
const ARABIC: Record<string, string> = {
  "\u0640": "", // tatweel
  "\u0623": "\u0627", // alef with hamza above -> alef
  "\u0625": "\u0627",
  "\u0622": "\u0627",
  "\u0671": "\u0627",
  "\u0629": "\u0647", // taa marbuta -> haa
  "\u0649": "\u064a", // alef maqsura -> yaa
  "\u0624": "\u0648",
  "\u0626": "\u064a",
  "\u0153": "oe",
  "\u00e6": "ae",
  "\u00df": "ss",
};
const VARIANTS = /[\u0640\u0623\u0625\u0622\u0671\u0629\u0649\u0624\u0626\u0153\u00e6\u00df]/g;
const SEPARATORS = /[\s\-'’_.,;:/()]+/g;

export function fold(s: string | null | undefined): string {
  if (!s) return "";
  const swap = (x: string) => x.replace(VARIANTS, (c) => ARABIC[c] ?? c);
  const decomposed = swap(s.toLowerCase()).normalize("NFKD").replace(/\p{M}/gu, "");
  return swap(decomposed).replace(SEPARATORS, " ").trim();
}
