import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { ThemeChooser } from "../components/ThemeChooser";
import { ErrorBox, Loading } from "../components/ui";
import { isLang, useI18n, type Lang, type MessageKey } from "../i18n";
import { parseWholeNumber, parseYear, westernDigits, type ParsedNumber } from "../numbers";
import { useLocation } from "../router";

type Form = components["schemas"]["CensusForm"];
type Answer = components["schemas"]["CensusAnswer"];
type Priority = components["schemas"]["Priority"];

interface NeedRow {
  key: number;
  id: string | null;
  title: string;
  description: string;
  tag_ids: string[];
  priority: Priority;
  estimated_budget_eur: string;
}
interface PartnerRow {
  key: number;
  name: string;
  since_year: string;
  until_year: string;
}

let seq = 0;
const nextKey = () => ++seq;
const LANG_NAMES: Record<Lang, string> = { fr: "Français", en: "English", ar: "العربية" };

function explicitLang(query: URLSearchParams): Lang | undefined {
  const q = query.get("lang");
  if (isLang(q)) return q;
  try {
    const v = localStorage.getItem("jisr.lang");
    if (isLang(v)) return v;
  } catch {
    /* ignore */
  }
  return undefined;
}

/** The public census form at /census/<token>: no account, Arabic / French / English, phone-first. */
export default function CensusForm({ params }: { params: Record<string, string> }) {
  const token = params.token;
  const { query } = useLocation();
  const i18n = useI18n();
  const [want, setWant] = useState<Lang | undefined>(() => explicitLang(query));
  // Each language asks the server again (gcTime 0): the answer may have been sent in another language meanwhile.
  const loaded = useQuery({
    queryKey: ["census-form", token, want],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/census/forms/{token}", { params: { path: { token }, query: { lang: want } }, signal })),
    gcTime: 0,
  });
  const form = loaded.data;
  const loadError = loaded.error;

  // A language in the link (?lang=ar) applies at once, even before the form (or its error) arrives.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the page opens
  useEffect(() => {
    const q = query.get("lang");
    if (isLang(q) && q !== i18n.lang) i18n.setLang(q);
  }, []);

  // The page speaks the form's language (the one asked for, or the collectivity's).
  const { lang, setLang } = i18n;
  useEffect(() => {
    if (form && form.language !== lang) setLang(form.language);
  }, [form, lang, setLang]);

  useEffect(() => {
    document.title = form ? form.labels.title : "Jisr";
  }, [form]);

  if (loadError) {
    const gone = loadError instanceof ApiError && loadError.status === 404;
    return (
      <main id="main" className="census">
        {gone ? (
          <div className="alert alert-error" role="alert">
            <p className="alert-title">{i18n.t("census.invalidLink")}</p>
          </div>
        ) : (
          <ErrorBox error={loadError} onRetry={() => void loaded.refetch()} />
        )}
      </main>
    );
  }
  if (!form) {
    return (
      <main id="main" className="census">
        <Loading />
      </main>
    );
  }
  return <CensusFormBody key={form.language} token={token} form={form} onLang={setWant} />;
}

type Errors = Record<string, MessageKey>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ().-]{4,40}$/;

/** The message for a field the API refused, by what the field holds (the API's own words are English). */
function serverMessage(field: string): MessageKey {
  switch (field) {
    case "full_name":
      return "census.err.fullName";
    case "email":
      return "census.err.email";
    case "phone":
      return "census.err.phone";
    case "title":
      return "census.err.needTitle";
    case "estimated_budget_eur":
      return "census.err.budget";
    case "since_year":
    case "until_year":
      return "census.err.year";
    case "name":
      return "census.err.partnerName";
    default:
      return "census.err.field";
  }
}

function FieldError({ id, errors }: { id: string; errors: Errors }) {
  const { t } = useI18n();
  const key = errors[id];
  return key ? (
    <p className="field-error" id={`${id}-err`}>
      {t(key)}
    </p>
  ) : null;
}

function CensusFormBody({ token, form, onLang }: { token: string; form: Form; onLang: (l: Lang) => void }) {
  const { t, date, num } = useI18n();
  const L = form.labels;
  const a = form.answer;
  const [contact, setContact] = useState({
    full_name: a?.contact.full_name ?? "",
    role: a?.contact.role ?? "",
    email: a?.contact.email ?? "",
    phone: a?.contact.phone ?? "",
  });
  const [consent, setConsent] = useState<boolean>(a?.contact.consent ?? false);
  const [priorities, setPriorities] = useState<string[]>(a?.priorities ?? []);
  const [needs, setNeeds] = useState<NeedRow[]>(() =>
    (a?.needs ?? []).map((n) => ({
      key: nextKey(),
      id: n.id ?? null,
      title: n.title,
      description: n.description ?? "",
      tag_ids: n.tag_ids ?? [],
      priority: n.priority ?? "medium",
      estimated_budget_eur: n.estimated_budget_eur == null ? "" : String(n.estimated_budget_eur),
    })),
  );
  const [hadPartner, setHadPartner] = useState<boolean | null>(a ? (a.former_partners?.length ?? 0) > 0 : null);
  const [partners, setPartners] = useState<PartnerRow[]>(() =>
    (a?.former_partners ?? []).map((p) => ({
      key: nextKey(),
      name: p.name,
      since_year: p.since_year == null ? "" : String(p.since_year),
      until_year: p.until_year == null ? "" : String(p.until_year),
    })),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [focusTarget, setFocusTarget] = useState<{ id: string } | null>(null);
  const [sent, setSent] = useState<string | null>(form.status !== "not_submitted" ? form.submitted_at : null);
  const readOnly = !form.editable;

  const roots = useMemo(() => form.themes.filter((th) => !th.parent_id), [form.themes]);
  const themeLabel = (id: string) => form.themes.find((th) => th.id === id)?.label ?? "";

  // Focus (and so scroll to) the first field to correct, once it is rendered with its message.
  useEffect(() => {
    if (!focusTarget) return;
    const el = document.getElementById(focusTarget.id);
    el?.focus();
    el?.scrollIntoView?.({ block: "center" });
  }, [focusTarget]);

  const fieldProps = (id: string) => ({
    id,
    "aria-invalid": errors[id] ? true : undefined,
    "aria-describedby": [errors[id] ? `${id}-err` : "", `${id}-read`].filter(Boolean).join(" ") || undefined,
  });
  const clear = (id: string) =>
    setErrors((e) => {
      if (!(id in e)) return e;
      const next = { ...e };
      delete next[id];
      return next;
    });

  /** What the form would send, and the fields to correct first (in page order). */
  const check = (): { body: Answer; found: [string, MessageKey][] } => {
    const found: [string, MessageKey][] = [];
    if (!contact.full_name.trim()) found.push(["cf-name", "census.err.fullName"]);
    if (contact.email.trim() && !EMAIL.test(contact.email.trim())) found.push(["cf-email", "census.err.email"]);
    const phone = westernDigits(contact.phone).trim();
    if (phone && !PHONE.test(phone)) found.push(["cf-phone", "census.err.phone"]);
    const budgets = needs.map((n) => {
      if (!n.title.trim()) found.push([`cf-need-${n.key}-title`, "census.err.needTitle"]);
      const b = parseWholeNumber(n.estimated_budget_eur);
      if (b.kind === "invalid" || (b.kind === "ok" && b.value > 1_000_000_000)) found.push([`cf-need-${n.key}-budget`, "census.err.budget"]);
      return b.kind === "ok" ? b.value : null;
    });
    const kept = hadPartner ? partners.filter((p) => p.name.trim() || p.since_year.trim() || p.until_year.trim()) : [];
    const years = kept.map((p) => {
      if (!p.name.trim()) found.push([`cf-p-${p.key}-name`, "census.err.partnerName"]);
      const since = parseYear(p.since_year);
      const until = parseYear(p.until_year);
      if (since.kind === "invalid") found.push([`cf-p-${p.key}-since`, "census.err.year"]);
      if (until.kind === "invalid") found.push([`cf-p-${p.key}-until`, "census.err.year"]);
      if (since.kind === "ok" && until.kind === "ok" && until.value < since.value) found.push([`cf-p-${p.key}-until`, "census.err.yearsOrder"]);
      return [since.kind === "ok" ? since.value : null, until.kind === "ok" ? until.value : null] as const;
    });
    const body: Answer = {
      language: form.language,
      contact: {
        full_name: contact.full_name.trim(),
        role: contact.role.trim(),
        email: contact.email.trim() || null,
        phone: phone || null,
        consent,
      },
      priorities,
      needs: needs.map((n, i) => ({
        ...(n.id ? { id: n.id } : {}),
        title: n.title.trim(),
        description: n.description,
        tag_ids: n.tag_ids,
        priority: n.priority,
        estimated_budget_eur: budgets[i],
      })),
      former_partners: kept.map((p, i) => ({ name: p.name.trim(), since_year: years[i][0], until_year: years[i][1] })),
    };
    return { body, found };
  };

  /** The API's field errors, placed on the fields they are about; the rest stays a general error. */
  const placeServerErrors = (err: ApiError): [string, MessageKey][] => {
    const out: [string, MessageKey][] = [];
    for (const item of err.problem?.errors ?? []) {
      const loc = item.loc.filter((p) => p !== "body");
      const [head, index, field] = loc;
      let id: string | null = null;
      if (head === "contact") id = { full_name: "cf-name", role: "cf-role", email: "cf-email", phone: "cf-phone" }[String(index)] ?? null;
      else if (head === "needs" && typeof index === "number" && needs[index]) {
        const suffix = { title: "title", description: "desc", estimated_budget_eur: "budget", priority: "prio", tag_ids: "themes" }[String(field)];
        id = suffix ? `cf-need-${needs[index].key}-${suffix}` : `cf-need-${needs[index].key}-title`;
      } else if (head === "former_partners" && typeof index === "number") {
        const row = partners.filter((p) => p.name.trim() || p.since_year.trim() || p.until_year.trim())[index];
        const suffix = { name: "name", since_year: "since", until_year: "until" }[String(field)] ?? "until";
        if (row) id = `cf-p-${row.key}-${suffix}`;
      } else if (head === "priorities") id = "cf-prio-first";
      if (id && !out.some(([x]) => x === id)) out.push([id, field === undefined && head === "former_partners" ? "census.err.yearsOrder" : serverMessage(String(field ?? index))]);
    }
    return out;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const { body, found } = check();
    setErrors(Object.fromEntries(found));
    if (found.length) {
      setFocusTarget({ id: found[0][0] });
      return;
    }
    setBusy(true);
    try {
      const res = await unwrap(api.PUT("/api/v1/census/forms/{token}", { params: { path: { token } }, body }));
      setSent(res.submitted_at);
      const kept = res.answer.needs ?? [];
      // Keep the ids the server gave, so sending again updates rather than duplicates.
      setNeeds((rows) => rows.map((r, i) => ({ ...r, id: kept[i]?.id ?? r.id })));
      window.scrollTo?.(0, 0);
    } catch (err) {
      const placed = err instanceof ApiError && err.status === 422 ? placeServerErrors(err) : [];
      if (placed.length) {
        setErrors(Object.fromEntries(placed));
        setFocusTarget({ id: placed[0][0] });
      } else {
        setError(err);
        setFocusTarget({ id: "cf-error" });
      }
    } finally {
      setBusy(false);
    }
  };

  const setNeed = (key: number, patch: Partial<NeedRow>) =>
    setNeeds((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const setPartner = (key: number, patch: Partial<PartnerRow>) =>
    setPartners((rows) => rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const move = (i: number, d: -1 | 1) =>
    setPriorities((p) => {
      const n = [...p];
      const j = i + d;
      if (j < 0 || j >= n.length) return p;
      [n[i], n[j]] = [n[j], n[i]];
      return n;
    });
  const collectivity = form.language === "ar" && form.collectivity.name_ar ? form.collectivity.name_ar : form.collectivity.name;
  const errorCount = Object.keys(errors).length;

  /** "Understood: €250,000" under a number typed otherwise than the form would write it. */
  const understood = (id: string, raw: string, parsed: ParsedNumber, show: (n: number) => string) =>
    parsed.kind === "ok" && raw.trim() !== String(parsed.value) && !errors[id] ? (
      <p className="hint" id={`${id}-read`} aria-live="polite">
        {t("census.understood", { value: show(parsed.value) })}
      </p>
    ) : null;

  return (
    <main id="main" className="census">
      <header className="census-header">
        <nav aria-label={t("lang.label")} className="census-langs">
          {form.campaign.languages.map((l) => (
            <button
              key={l}
              type="button"
              lang={l}
              className={`btn btn-small${l === form.language ? " btn-primary" : ""}`}
              aria-pressed={l === form.language}
              onClick={() => onLang(l)}
            >
              {LANG_NAMES[l]}
            </button>
          ))}
        </nav>
        <h1>{L.title}</h1>
        <p className="census-collectivity">{collectivity}</p>
        <p lang={form.campaign.text_language} dir="auto">
          {form.campaign.title}
        </p>
        {form.campaign.description ? (
          <p className="muted" lang={form.campaign.text_language} dir="auto">
            {form.campaign.description}
          </p>
        ) : (
          <p className="muted">{L.intro}</p>
        )}
        <p className="muted">
          {L.closes_on}: {date(form.campaign.closes_at, true, form.campaign.timezone)}
        </p>
      </header>

      {sent && (
        <div className="alert alert-success" role="status">
          <p className="alert-title">{L.thanks}</p>
          {!readOnly && <p>{L.resubmit_note}</p>}
        </div>
      )}
      {readOnly && (
        <div className="alert alert-info" role="status">
          <p>{L.reviewed}</p>
        </div>
      )}

      <form onSubmit={submit} noValidate>
        <fieldset disabled={readOnly || busy} className="plain">
          <section className="card" aria-labelledby="cf-contact">
            <h2 id="cf-contact">{L.contact_section}</h2>
            <div className="field">
              <label htmlFor="cf-name">{L.contact_full_name} *</label>
              <input
                {...fieldProps("cf-name")}
                required
                maxLength={200}
                autoComplete="name"
                value={contact.full_name}
                onChange={(e) => {
                  clear("cf-name");
                  setContact({ ...contact, full_name: e.target.value });
                }}
              />
              <FieldError id="cf-name" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="cf-role">{L.contact_role}</label>
              <input {...fieldProps("cf-role")} maxLength={100} autoComplete="organization-title" value={contact.role} onChange={(e) => setContact({ ...contact, role: e.target.value })} />
              <FieldError id="cf-role" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="cf-email">{L.contact_email}</label>
              <input
                {...fieldProps("cf-email")}
                type="email"
                dir="ltr"
                maxLength={254}
                autoComplete="email"
                value={contact.email}
                onChange={(e) => {
                  clear("cf-email");
                  setContact({ ...contact, email: e.target.value });
                }}
              />
              <FieldError id="cf-email" errors={errors} />
            </div>
            <div className="field">
              <label htmlFor="cf-phone">{L.contact_phone}</label>
              <input
                {...fieldProps("cf-phone")}
                type="tel"
                dir="ltr"
                maxLength={40}
                autoComplete="tel"
                value={contact.phone}
                onChange={(e) => {
                  clear("cf-phone");
                  setContact({ ...contact, phone: e.target.value });
                }}
              />
              <FieldError id="cf-phone" errors={errors} />
            </div>
            <label className="check">
              <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> {t("census.consent", { collectivity })}
            </label>
          </section>

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
        </fieldset>
        {error ? (
          <div id="cf-error" tabIndex={-1}>
            <ErrorBox error={error} />
          </div>
        ) : null}
        {errorCount > 0 && (
          <p className="field-error" role="alert">
            {t("census.err.summary", { n: errorCount })}
          </p>
        )}
        {!readOnly && (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? t("state.working") : L.submit}
            </button>
          </div>
        )}
      </form>
    </main>
  );
}
