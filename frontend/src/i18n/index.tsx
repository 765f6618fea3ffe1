import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useState, type ReactNode } from "react";
import { ar } from "./ar";
import { en } from "./en";
import { fr, type MessageKey } from "./fr";

export type { MessageKey };
export type Lang = "fr" | "en" | "ar";
export const LANGS: { code: Lang; label: string }[] = [
  { code: "fr", label: "Français" },
  { code: "en", label: "English" },
  { code: "ar", label: "العربية" },
];
const DICTS: Record<Lang, Record<MessageKey, string>> = { fr, en, ar };
const LOCALES: Record<Lang, string> = { fr: "fr-FR", en: "en-GB", ar: "ar-LB-u-nu-latn" }; // Western digits, as written in Lebanon
const STORAGE = "jisr.lang";

export function isLang(v: unknown): v is Lang {
  return v === "fr" || v === "en" || v === "ar";
}

/** The first of the browser's languages that Jisr speaks ("ar-LB" → ar), else French. */
export function browserLang(languages: readonly string[] | undefined = globalThis.navigator?.languages): Lang {
  for (const tag of languages ?? []) {
    const base = tag.toLowerCase().split(/[-_]/)[0];
    if (isLang(base)) return base;
  }
  return "fr";
}

/** The language chosen before on this device, else (the first time) the browser's. */
export function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE);
    if (isLang(v)) return v;
  } catch {
    /* ignore */
  }
  return browserLang();
}

export type Vars = Record<string, string | number>;

// `{n, plural, one {# collectivité} other {# collectivités}}`: the branch for the number's plural category
// in the language (Arabic has zero, one, two, few, many, other), `#` the number written in that language.
const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other)\s*\{[^{}]*\})+)\s*\}/g;
const BRANCH = /(=\d+|zero|one|two|few|many|other)\s*\{([^{}]*)\}/g;
const pluralRules = new Map<Lang, Intl.PluralRules>();

function plural(lang: Lang, value: string | number, branches: string): string {
  const n = typeof value === "number" ? value : Number(String(value).replace(/[^\d.-]/g, ""));
  let rules = pluralRules.get(lang);
  if (!rules) {
    rules = new Intl.PluralRules(LOCALES[lang]);
    pluralRules.set(lang, rules);
  }
  const found: Record<string, string> = {};
  for (const m of branches.matchAll(BRANCH)) found[m[1]] = m[2];
  const text = found[`=${n}`] ?? found[rules.select(n)] ?? found.other ?? "";
  const shown = typeof value === "number" ? new Intl.NumberFormat(LOCALES[lang]).format(value) : value;
  return text.replace(/#/g, shown);
}

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const text = DICTS[lang][key] ?? DICTS.fr[key] ?? key;
  if (!vars) return text;
  return text
    .replace(PLURAL, (m, name: string, branches: string) => (name in vars ? plural(lang, vars[name], branches) : m))
    .replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Whether ``key`` names a message (for keys built from data, such as a problem's `code`). */
export function isMessageKey(key: string): key is MessageKey {
  return key in DICTS.fr;
}

export function dirOf(lang: Lang): "rtl" | "ltr" {
  return lang === "ar" ? "rtl" : "ltr";
}

export interface I18n {
  lang: Lang;
  dir: "rtl" | "ltr";
  locale: string;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** Translate a dynamic key such as `kind.${value}`; falls back to the raw value. */
  tv: (prefix: string, value: string | null | undefined) => string;
  num: (n: number | null | undefined) => string;
  /** A date (and time) in the person's language; `timeZone` shows it as lived there (an event's zone). */
  date: (iso: string | null | undefined, withTime?: boolean, timeZone?: string) => string;
}

const Ctx = createContext<I18n | null>(null);

export function makeI18n(lang: Lang, setLang: (l: Lang) => void = () => {}): I18n {
  const locale = LOCALES[lang];
  const nf = new Intl.NumberFormat(locale);
  const df = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  const dtf = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  return {
    lang,
    dir: dirOf(lang),
    locale,
    setLang,
    t: (key, vars) => translate(lang, key, vars),
    tv: (prefix, value) => {
      if (value === null || value === undefined || value === "") return "—";
      const key = `${prefix}.${value}` as MessageKey;
      return key in DICTS.fr ? translate(lang, key) : value;
    },
    num: (n) => (n === null || n === undefined ? "—" : nf.format(n)),
    date: (iso, withTime = false, timeZone) => {
      if (!iso) return "—";
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) return iso;
      if (timeZone) {
        try {
          return new Intl.DateTimeFormat(locale, { dateStyle: "medium", ...(withTime ? { timeStyle: "short" } : {}), timeZone }).format(d);
        } catch {
          /* unknown zone: fall through */
        }
      }
      return (withTime ? dtf : df).format(d);
    },
  };
}

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(initial ?? storedLang);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(STORAGE, l);
    } catch {
      /* ignore */
    }
  }, []);
  useLayoutEffect(() => {
    document.documentElement.lang = lang;
    document.documentElement.dir = dirOf(lang);
  }, [lang]);
  const value = useMemo(() => makeI18n(lang, setLang), [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}

/** A label in the current language from an object with label_fr / label_en / label_ar. */
export function labelOf(
  obj: { label_fr: string; label_en: string; label_ar: string } | undefined,
  lang: Lang,
): string {
  if (!obj) return "";
  return (lang === "ar" ? obj.label_ar : lang === "en" ? obj.label_en : obj.label_fr) || obj.label_fr;
}

export function nameOf(obj: { name_fr: string; name_en: string; name_ar: string } | undefined, lang: Lang): string {
  if (!obj) return "";
  return (lang === "ar" ? obj.name_ar : lang === "en" ? obj.name_en : obj.name_fr) || obj.name_fr;
}
