import { useGovernorates } from "../hooks";
import { nameOf, useI18n } from "../i18n";

/** A <select> of Lebanon's governorates, valued by ISO code; the empty value means "all". */
export function GovernorateSelect({ id, value, onChange, allLabel }: { id?: string; value: string; onChange: (code: string) => void; allLabel: string }) {
  const { lang } = useI18n();
  const govs = useGovernorates();
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{allLabel}</option>
      {(govs.data ?? []).map((g) => (
        <option key={g.code} value={g.code}>
          {nameOf(g, lang)}
        </option>
      ))}
    </select>
  );
}

/** A fieldset of checkboxes, one per governorate, for choosing several. */
export function GovernorateChecks({ legend, value, onChange }: { legend: string; value: string[]; onChange: (codes: string[]) => void }) {
  const { lang } = useI18n();
  const govs = useGovernorates();
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="row">
        {(govs.data ?? []).map((g) => (
          <label key={g.code} className="check">
            <input
              type="checkbox"
              checked={value.includes(g.code)}
              onChange={(e) => onChange(e.target.checked ? [...value, g.code] : value.filter((x) => x !== g.code))}
            />{" "}
            {nameOf(g, lang)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
