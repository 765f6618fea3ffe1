import { LANGS, isLang, useI18n } from "../i18n";

export function LanguageSelect() {
  const { lang, setLang, t } = useI18n();
  return (
    <select
      className="lang-select"
      value={lang}
      onChange={(e) => isLang(e.target.value) && setLang(e.target.value)}
      aria-label={t("lang.label")}
    >
      {LANGS.map((l) => (
        <option key={l.code} value={l.code} lang={l.code}>
          {l.label}
        </option>
      ))}
    </select>
  );
}
