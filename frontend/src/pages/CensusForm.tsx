import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { ErrorBox, Loading } from "../components/ui";
import { isLang, useI18n, type Lang, type MessageKey } from "../i18n";
import { parseWholeNumber, parseYear, westernDigits, type ParsedNumber } from "../numbers";
import { useLocation } from "../router";
import {
  ContactSection,
  FormerPartnersSection,
  NeedsSection,
  nextKey,
  PrioritiesSection,
  type Errors,
  type FieldKit,
  type NeedRow,
  type PartnerRow,
} from "./CensusFormSections";

type Form = components["schemas"]["CensusForm"];
type Answer = components["schemas"]["CensusAnswer"];

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

  const collectivity = form.language === "ar" && form.collectivity.name_ar ? form.collectivity.name_ar : form.collectivity.name;
  const errorCount = Object.keys(errors).length;

  /** "Understood: €250,000" under a number typed otherwise than the form would write it. */
  const understood = (id: string, raw: string, parsed: ParsedNumber, show: (n: number) => string) =>
    parsed.kind === "ok" && raw.trim() !== String(parsed.value) && !errors[id] ? (
      <p className="hint" id={`${id}-read`} aria-live="polite">
        {t("census.understood", { value: show(parsed.value) })}
      </p>
    ) : null;
  const kit: FieldKit = { errors, fieldProps, clear, understood };

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
          <ContactSection kit={kit} labels={L} contact={contact} setContact={setContact} consent={consent} setConsent={setConsent} collectivity={collectivity} />

          <PrioritiesSection kit={kit} labels={L} themes={form.themes} priorities={priorities} setPriorities={setPriorities} />

          <NeedsSection kit={kit} labels={L} form={form} needs={needs} setNeeds={setNeeds} />

          <FormerPartnersSection kit={kit} labels={L} hadPartner={hadPartner} setHadPartner={setHadPartner} partners={partners} setPartners={setPartners} />
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
