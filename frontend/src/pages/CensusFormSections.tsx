import { useMemo, type Dispatch, type InputHTMLAttributes, type ReactNode, type SetStateAction } from "react";
import type { components } from "../api/schema";
import { ThemeChooser } from "../components/ThemeChooser";
import { useI18n, type MessageKey } from "../i18n";
import { parseWholeNumber, parseYear, type ParsedNumber } from "../numbers";

// The census form's sections (pages/CensusForm.tsx holds the state, the checks and the sending).

type Form = components["schemas"]["CensusForm"];
type Labels = Form["labels"];
type Theme = Form["themes"][number];
type Priority = components["schemas"]["Priority"];

export interface NeedRow {
  key: number;
  id: string | null;
  title: string;
  description: string;
  tag_ids: string[];
  priority: Priority;
  estimated_budget_eur: string;
}
export interface PartnerRow {
  key: number;
  name: string;
  since_year: string;
  until_year: string;
}

export interface Contact {
  full_name: string;
  role: string;
  email: string;
  phone: string;
}

let seq = 0;
export const nextKey = () => ++seq;

export type Errors = Record<string, MessageKey>;

/** What every field needs: its error, its ARIA wiring, clearing its error when edited, and "understood: …". */
export interface FieldKit {
  errors: Errors;
  fieldProps: (id: string) => { id: string; "aria-invalid": boolean | undefined; "aria-describedby": string | undefined };
  clear: (id: string) => void;
  understood: (id: string, raw: string, parsed: ParsedNumber, show: (n: number) => string) => ReactNode;
}

export function FieldError({ id, errors }: { id: string; errors: Errors }) {
  const { t } = useI18n();
  const key = errors[id];
  return key ? (
    <p className="field-error" id={`${id}-err`}>
      {t(key)}
    </p>
  ) : null;
}

/** Who answers: name, role, e-mail, phone, and consent to be contacted. */
export function ContactSection({ kit, labels: L, contact, setContact, consent, setConsent, collectivity }: {
  kit: FieldKit;
  labels: Labels;
  contact: Contact;
  setContact: (c: Contact) => void;
  consent: boolean;
  setConsent: (c: boolean) => void;
  collectivity: string;
}) {
  const { t } = useI18n();
  const { fieldProps, clear, errors } = kit;
  const input = (id: string, key: keyof Contact, label: string, attrs: InputHTMLAttributes<HTMLInputElement>) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...fieldProps(id)}
        {...attrs}
        value={contact[key]}
        onChange={(e) => {
          clear(id);
          setContact({ ...contact, [key]: e.target.value });
        }}
      />
      <FieldError id={id} errors={errors} />
    </div>
  );
  return (
    <section className="card" aria-labelledby="cf-contact">
      <h2 id="cf-contact">{L.contact_section}</h2>
      {input("cf-name", "full_name", `${L.contact_full_name} *`, { required: true, maxLength: 200, autoComplete: "name" })}
      {input("cf-role", "role", L.contact_role, { maxLength: 100, autoComplete: "organization-title" })}
      {input("cf-email", "email", L.contact_email, { type: "email", dir: "ltr", maxLength: 254, autoComplete: "email" })}
      {input("cf-phone", "phone", L.contact_phone, { type: "tel", dir: "ltr", maxLength: 40, autoComplete: "tel" })}
      <label className="check">
        <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> {t("census.consent", { collectivity })}
      </label>
    </section>
  );
}

/** The themes that matter most, chosen then ranked (up to 10). */
export function PrioritiesSection({ kit, labels: L, themes, priorities, setPriorities }: {
  kit: FieldKit;
  labels: Labels;
  themes: Theme[];
  priorities: string[];
  setPriorities: Dispatch<SetStateAction<string[]>>;
}) {
  const { t } = useI18n();
  const { errors } = kit;
  const roots = useMemo(() => themes.filter((th) => !th.parent_id), [themes]);
  const themeLabel = (id: string) => themes.find((th) => th.id === id)?.label ?? "";
  const move = (i: number, d: -1 | 1) =>
    setPriorities((p) => {
      const n = [...p];
      const j = i + d;
      if (j < 0 || j >= n.length) return p;
      [n[i], n[j]] = [n[j], n[i]];
      return n;
    });
  return (
    <section className="card" aria-labelledby="cf-prio">
      <h2 id="cf-prio">{L.priorities_section}</h2>
      <p className="hint">{L.priorities_help}</p>
      <fieldset>
        <legend className="visually-hidden">{L.priorities_section}</legend>
        <ul className="census-options">
          {roots.map((th, i) => (
            <li key={th.id}>
              <label className="check">
                <input
                  type="checkbox"
                  id={i === 0 ? "cf-prio-first" : undefined}
                  checked={priorities.includes(th.id)}
                  disabled={!priorities.includes(th.id) && priorities.length >= 10}
                  onChange={(e) =>
                    setPriorities((p) => (e.target.checked ? [...p, th.id] : p.filter((x) => x !== th.id)))
                  }
                />{" "}
                {th.label}
              </label>
            </li>
          ))}
        </ul>
        <FieldError id="cf-prio-first" errors={errors} />
      </fieldset>
      {priorities.length > 0 && (
        <ol className="ranking" aria-label={L.priorities_section}>
          {priorities.map((id, i) => (
            <li key={id}>
              <span>{themeLabel(id)}</span>
              <span className="ranking-tools">
                <button type="button" className="btn btn-small" onClick={() => move(i, -1)} disabled={i === 0} aria-label={t("census.moveUp", { item: themeLabel(id) })}>
                  ↑
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => move(i, 1)}
                  disabled={i === priorities.length - 1}
                  aria-label={t("census.moveDown", { item: themeLabel(id) })}
                >
                  ↓
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The needs, one fieldset each: title, description, themes, priority, budget. */
export function NeedsSection({ kit, labels: L, form, needs, setNeeds }: {
  kit: FieldKit;
  labels: Labels;
  form: Form;
  needs: NeedRow[];
  setNeeds: Dispatch<SetStateAction<NeedRow[]>>;
}) {
  const { t, num } = useI18n();
  const { fieldProps, clear, errors, understood } = kit;
  const setNeed = (key: number, patch: Partial<NeedRow>) =>
    setNeeds((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <section className="card" aria-labelledby="cf-needs">
      <h2 id="cf-needs">{L.needs_section}</h2>
      <p className="hint">{L.needs_help}</p>
      {needs.map((n, idx) => {
        const id = (s: string) => `cf-need-${n.key}-${s}`;
        return (
          <fieldset key={n.key} className="census-need">
            <legend>
              {L.needs_section} {idx + 1}
            </legend>
            <div className="field">
              <label htmlFor={id("title")}>{L.need_title} *</label>
              <input
                {...fieldProps(id("title"))}
                required
                maxLength={300}
                value={n.title}
                onChange={(e) => {
                  clear(id("title"));
                  setNeed(n.key, { title: e.target.value });
                }}
              />
              <FieldError id={id("title")} errors={errors} />
            </div>
            <div className="field">
              <label htmlFor={id("desc")}>{L.need_description}</label>
              <textarea {...fieldProps(id("desc"))} rows={4} maxLength={3000} value={n.description} onChange={(e) => setNeed(n.key, { description: e.target.value })} />
              <FieldError id={id("desc")} errors={errors} />
            </div>
            <ThemeChooser
              legend={L.need_themes}
              themes={form.themes}
              value={n.tag_ids}
              onChange={(ids) => {
                clear(id("themes"));
                setNeed(n.key, { tag_ids: ids });
              }}
              buttonId={id("themes")}
              describedBy={errors[id("themes")] ? `${id("themes")}-err` : undefined}
            />
            <FieldError id={id("themes")} errors={errors} />
            <div className="row">
              <div className="field">
                <label htmlFor={id("prio")}>{L.need_priority}</label>
                <select {...fieldProps(id("prio"))} value={n.priority} onChange={(e) => setNeed(n.key, { priority: e.target.value as Priority })}>
                  {form.priorities.map((p) => (
                    <option key={p.value} value={p.value}>
                      {p.label}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor={id("budget")}>{L.need_budget}</label>
                <input
                  {...fieldProps(id("budget"))}
                  inputMode="decimal"
                  dir="ltr"
                  maxLength={40}
                  value={n.estimated_budget_eur}
                  onChange={(e) => {
                    clear(id("budget"));
                    setNeed(n.key, { estimated_budget_eur: e.target.value });
                  }}
                />
                <FieldError id={id("budget")} errors={errors} />
                {understood(id("budget"), n.estimated_budget_eur, parseWholeNumber(n.estimated_budget_eur), (v) => t("census.euros", { n: num(v) }))}
              </div>
            </div>
            <button type="button" className="btn btn-danger btn-small" onClick={() => setNeeds((rows) => rows.filter((r) => r.key !== n.key))}>
              {L.need_remove}
            </button>
          </fieldset>
        );
      })}
      <button
        type="button"
        className="btn"
        onClick={() =>
          setNeeds((rows) => [
            ...rows,
            { key: nextKey(), id: null, title: "", description: "", tag_ids: [], priority: "medium", estimated_budget_eur: "" },
          ])
        }
      >
        + {L.need_add}
      </button>
    </section>
  );
}

/** Former partners: had there been one, and which (name, from, until). */
export function FormerPartnersSection({ kit, labels: L, hadPartner, setHadPartner, partners, setPartners }: {
  kit: FieldKit;
  labels: Labels;
  hadPartner: boolean | null;
  setHadPartner: (had: boolean) => void;
  partners: PartnerRow[];
  setPartners: Dispatch<SetStateAction<PartnerRow[]>>;
}) {
  const { fieldProps, clear, errors, understood } = kit;
  const setPartner = (key: number, patch: Partial<PartnerRow>) =>
    setPartners((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <section className="card" aria-labelledby="cf-former">
      <h2 id="cf-former">{L.former_section}</h2>
      <fieldset>
        <legend>{L.former_question}</legend>
        <label className="check">
          <input type="radio" name="cf-had" checked={hadPartner === true} onChange={() => {
            setHadPartner(true);
            if (partners.length === 0) setPartners([{ key: nextKey(), name: "", since_year: "", until_year: "" }]);
          }} /> {L.yes}
        </label>{" "}
        <label className="check">
          <input type="radio" name="cf-had" checked={hadPartner === false} onChange={() => setHadPartner(false)} /> {L.no}
        </label>
      </fieldset>
      {hadPartner &&
        partners.map((p) => {
          const id = (s: string) => `cf-p-${p.key}-${s}`;
          const year = (field: "since_year" | "until_year", suffix: string, label: string) => (
            <div className="field">
              <label htmlFor={id(suffix)}>{label}</label>
              <input
                {...fieldProps(id(suffix))}
                inputMode="numeric"
                dir="ltr"
                maxLength={12}
                value={p[field]}
                onChange={(e) => {
                  clear(id(suffix));
                  setPartner(p.key, { [field]: e.target.value });
                }}
              />
              <FieldError id={id(suffix)} errors={errors} />
              {understood(id(suffix), p[field], parseYear(p[field]), String)}
            </div>
          );
          return (
            <div key={p.key} className="row census-partner">
              <div className="field">
                <label htmlFor={id("name")}>{L.former_name}</label>
                <input
                  {...fieldProps(id("name"))}
                  maxLength={200}
                  value={p.name}
                  onChange={(e) => {
                    clear(id("name"));
                    setPartner(p.key, { name: e.target.value });
                  }}
                />
                <FieldError id={id("name")} errors={errors} />
              </div>
              {year("since_year", "since", L.former_since)}
              {year("until_year", "until", L.former_until)}
            </div>
          );
        })}
      {hadPartner && (
        <button type="button" className="btn btn-small" onClick={() => setPartners((r) => [...r, { key: nextKey(), name: "", since_year: "", until_year: "" }])}>
          + {L.former_name}
        </button>
      )}
    </section>
  );
}
