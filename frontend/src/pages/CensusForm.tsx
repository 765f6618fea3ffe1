import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { ErrorBox, Loading } from "../components/ui";
import { isLang, useI18n, type Lang } from "../i18n";
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
  const [form, setForm] = useState<Form | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  // A language in the link (?lang=ar) applies at once, even before the form (or its error) arrives.
  useEffect(() => {
    const q = query.get("lang");
    if (isLang(q) && q !== i18n.lang) i18n.setLang(q);
  }, []);

  useEffect(() => {
    const ctrl = new AbortController();
    setLoadError(null);
    unwrap(api.GET("/api/v1/census/forms/{token}", { params: { path: { token }, query: { lang: want } }, signal: ctrl.signal }))
      .then((f) => {
        setForm(f);
        if (f.language !== i18n.lang) i18n.setLang(f.language);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoadError(e);
      });
    return () => ctrl.abort();
  }, [token, want, attempt]);

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
          <ErrorBox error={loadError} onRetry={() => setAttempt((n) => n + 1)} />
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

function CensusFormBody({ token, form, onLang }: { token: string; form: Form; onLang: (l: Lang) => void }) {
  const { t, date } = useI18n();
  const L = form.labels;
  const a = form.answer;
  const [contact, setContact] = useState({
    full_name: a?.contact.full_name ?? "",
    role: a?.contact.role ?? "",
    email: a?.contact.email ?? "",
    phone: a?.contact.phone ?? "",
  });
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
  const [sent, setSent] = useState<string | null>(form.status !== "not_submitted" ? form.submitted_at : null);
  const readOnly = !form.editable;

  const roots = useMemo(() => form.themes.filter((th) => !th.parent_id), [form.themes]);
  const children = (id: string) => form.themes.filter((th) => th.parent_id === id);
  const themeLabel = (id: string) => form.themes.find((th) => th.id === id)?.label ?? "";

  const int = (s: string) => (s.trim() === "" ? null : Number(s.trim()));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Answer = {
      language: form.language,
      contact: {
        full_name: contact.full_name.trim(),
        role: contact.role.trim(),
        email: contact.email.trim() || null,
        phone: contact.phone.trim() || null,
      },
      priorities,
      needs: needs.map((n) => ({
        ...(n.id ? { id: n.id } : {}),
        title: n.title.trim(),
        description: n.description,
        tag_ids: n.tag_ids,
        priority: n.priority,
        estimated_budget_eur: int(n.estimated_budget_eur),
      })),
      former_partners: hadPartner
        ? partners
            .filter((p) => p.name.trim())
            .map((p) => ({ name: p.name.trim(), since_year: int(p.since_year), until_year: int(p.until_year) }))
        : [],
    };
    try {
      const res = await unwrap(api.PUT("/api/v1/census/forms/{token}", { params: { path: { token } }, body }));
      setSent(res.submitted_at);
      const kept = res.answer.needs ?? [];
      // Keep the ids the server gave, so sending again updates rather than duplicates.
      setNeeds((rows) => rows.map((r, i) => ({ ...r, id: kept[i]?.id ?? r.id })));
      window.scrollTo?.(0, 0);
    } catch (err) {
      setError(err);
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
  const fieldErrors = error instanceof ApiError ? error.fieldErrors() : {};
  const collectivity = form.language === "ar" && form.collectivity.name_ar ? form.collectivity.name_ar : form.collectivity.name;

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
        <p>{form.campaign.title}</p>
        <p className="muted">{form.campaign.description || L.intro}</p>
        <p className="muted">
          {L.closes_on}: {date(form.campaign.closes_at)}
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
      <ErrorBox error={error} />

      <form onSubmit={submit} noValidate>
        <fieldset disabled={readOnly || busy} className="plain">
          <section className="card" aria-labelledby="cf-contact">
            <h2 id="cf-contact">{L.contact_section}</h2>
            <div className="field">
              <label htmlFor="cf-name">{L.contact_full_name} *</label>
              <input
                id="cf-name"
                required
                maxLength={200}
                autoComplete="name"
                value={contact.full_name}
                aria-invalid={fieldErrors.contact ? true : undefined}
                onChange={(e) => setContact({ ...contact, full_name: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor="cf-role">{L.contact_role}</label>
              <input id="cf-role" maxLength={100} autoComplete="organization-title" value={contact.role} onChange={(e) => setContact({ ...contact, role: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="cf-email">{L.contact_email}</label>
              <input id="cf-email" type="email" dir="ltr" maxLength={254} autoComplete="email" value={contact.email} onChange={(e) => setContact({ ...contact, email: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="cf-phone">{L.contact_phone}</label>
              <input id="cf-phone" type="tel" dir="ltr" maxLength={40} autoComplete="tel" value={contact.phone} onChange={(e) => setContact({ ...contact, phone: e.target.value })} />
            </div>
          </section>

          <section className="card" aria-labelledby="cf-prio">
            <h2 id="cf-prio">{L.priorities_section}</h2>
            <p className="hint">{L.priorities_help}</p>
            <fieldset>
              <legend className="visually-hidden">{L.priorities_section}</legend>
              <ul className="census-options">
                {roots.map((th) => (
                  <li key={th.id}>
                    <label className="check">
                      <input
                        type="checkbox"
                        checked={priorities.includes(th.id)}
                        onChange={(e) =>
                          setPriorities((p) => (e.target.checked ? [...p, th.id] : p.filter((x) => x !== th.id)))
                        }
                      />{" "}
                      {th.label}
                    </label>
                  </li>
                ))}
              </ul>
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
            {needs.map((n, idx) => (
              <fieldset key={n.key} className="census-need">
                <legend>
                  {L.needs_section} {idx + 1}
                </legend>
                <div className="field">
                  <label htmlFor={`cf-need-${n.key}-title`}>{L.need_title} *</label>
                  <input id={`cf-need-${n.key}-title`} required maxLength={300} value={n.title} onChange={(e) => setNeed(n.key, { title: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`cf-need-${n.key}-desc`}>{L.need_description}</label>
                  <textarea id={`cf-need-${n.key}-desc`} rows={4} maxLength={3000} value={n.description} onChange={(e) => setNeed(n.key, { description: e.target.value })} />
                </div>
                <fieldset>
                  <legend>{L.need_themes}</legend>
                  <div className="census-themes">
                    {roots.map((r) => (
                      <div key={r.id}>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={n.tag_ids.includes(r.id)}
                            onChange={(e) =>
                              setNeed(n.key, { tag_ids: e.target.checked ? [...n.tag_ids, r.id] : n.tag_ids.filter((x) => x !== r.id) })
                            }
                          />{" "}
                          <strong>{r.label}</strong>
                        </label>
                        <ul>
                          {children(r.id).map((c) => (
                            <li key={c.id}>
                              <label className="check">
                                <input
                                  type="checkbox"
                                  checked={n.tag_ids.includes(c.id)}
                                  disabled={!n.tag_ids.includes(c.id) && n.tag_ids.length >= 10}
                                  onChange={(e) =>
                                    setNeed(n.key, { tag_ids: e.target.checked ? [...n.tag_ids, c.id] : n.tag_ids.filter((x) => x !== c.id) })
                                  }
                                />{" "}
                                {c.label}
                              </label>
                            </li>
                          ))}
                        </ul>
                      </div>
                    ))}
                  </div>
                </fieldset>
                <div className="row">
                  <div className="field">
                    <label htmlFor={`cf-need-${n.key}-prio`}>{L.need_priority}</label>
                    <select id={`cf-need-${n.key}-prio`} value={n.priority} onChange={(e) => setNeed(n.key, { priority: e.target.value as Priority })}>
                      {form.priorities.map((p) => (
                        <option key={p.value} value={p.value}>
                          {p.label}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div className="field">
                    <label htmlFor={`cf-need-${n.key}-budget`}>{L.need_budget}</label>
                    <input
                      id={`cf-need-${n.key}-budget`}
                      inputMode="numeric"
                      dir="ltr"
                      value={n.estimated_budget_eur}
                      onChange={(e) => setNeed(n.key, { estimated_budget_eur: e.target.value.replace(/[^\d]/g, "") })}
                    />
                  </div>
                </div>
                <button type="button" className="btn btn-danger btn-small" onClick={() => setNeeds((rows) => rows.filter((r) => r.key !== n.key))}>
                  {L.need_remove}
                </button>
              </fieldset>
            ))}
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
              partners.map((p) => (
                <div key={p.key} className="row census-partner">
                  <div className="field">
                    <label htmlFor={`cf-p-${p.key}-name`}>{L.former_name}</label>
                    <input id={`cf-p-${p.key}-name`} maxLength={200} value={p.name} onChange={(e) => setPartner(p.key, { name: e.target.value })} />
                  </div>
                  <div className="field">
                    <label htmlFor={`cf-p-${p.key}-since`}>{L.former_since}</label>
                    <input id={`cf-p-${p.key}-since`} inputMode="numeric" dir="ltr" maxLength={4} value={p.since_year} onChange={(e) => setPartner(p.key, { since_year: e.target.value.replace(/[^\d]/g, "") })} />
                  </div>
                  <div className="field">
                    <label htmlFor={`cf-p-${p.key}-until`}>{L.former_until}</label>
                    <input id={`cf-p-${p.key}-until`} inputMode="numeric" dir="ltr" maxLength={4} value={p.until_year} onChange={(e) => setPartner(p.key, { until_year: e.target.value.replace(/[^\d]/g, "") })} />
                  </div>
                </div>
              ))}
            {hadPartner && (
              <button type="button" className="btn btn-small" onClick={() => setPartners((r) => [...r, { key: nextKey(), name: "", since_year: "", until_year: "" }])}>
                + {L.former_name}
              </button>
            )}
          </section>
        </fieldset>
        {!readOnly && (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary btn-block" disabled={busy || !contact.full_name.trim()}>
              {busy ? t("state.working") : L.submit}
            </button>
          </div>
        )}
      </form>
    </main>
  );
}
