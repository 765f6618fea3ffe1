import { useEffect, useState, type FormEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { canEdit, isStaff, useAuth } from "../auth";
import { CollectivityPicker } from "../components/CollectivityPicker";
import { TagPicker } from "../components/TagPicker";
import { ErrorBox, Field, Loading, PageHeader } from "../components/ui";
import { useI18n } from "../i18n";
import { Link, navigate, useLocation } from "../router";
import { DIRECTIONS, NEED_STATUSES, PRIORITIES, SOURCES } from "./Needs";

/** The statuses a member sets on its own needs (the API's needs/permissions.py). */
const MEMBER_STATUSES: readonly string[] = ["draft", "open", "closed"];
import { useTitle } from "./common";

type NeedCreate = components["schemas"]["NeedCreate"];
type Need = components["schemas"]["NeedPublic"];

interface FormState {
  collectivity_id: string | null;
  direction: NeedCreate["direction"];
  title: string;
  description: string;
  tag_ids: string[];
  priority: NeedCreate["priority"];
  status: NeedCreate["status"];
  source: NeedCreate["source"];
  estimated_budget_eur: string;
  source_event_id: string | null;
}

const blank = (collectivity: string | null, event: string | null): FormState => ({
  collectivity_id: collectivity,
  direction: "request",
  title: "",
  description: "",
  tag_ids: [],
  priority: "medium",
  status: "open",
  source: event ? "webinar" : "manual",
  estimated_budget_eur: "",
  source_event_id: event,
});

function fromNeed(n: Need): FormState {
  return {
    collectivity_id: n.collectivity_id,
    direction: n.direction,
    title: n.title,
    description: n.description,
    tag_ids: n.tag_ids ?? [],
    priority: n.priority,
    status: n.status,
    source: n.source,
    estimated_budget_eur: n.estimated_budget_eur === null || n.estimated_budget_eur === undefined ? "" : String(n.estimated_budget_eur),
    source_event_id: n.source_event_id ?? null,
  };
}

export default function NeedForm({ params }: { params: Record<string, string> }) {
  const { t, tv } = useI18n();
  const { me } = useAuth();
  const { query } = useLocation();
  const id = params.id;
  const editing = !!id;
  const presetCollectivity = query.get("collectivity") ?? (me?.role === "member" ? me.collectivity_id ?? null : null);
  const [form, setForm] = useState<FormState>(() => blank(presetCollectivity, query.get("event")));
  const [etag, setEtag] = useState<string>();
  const [loaded, setLoaded] = useState<Need | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(query.get("saved") === "1");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  useTitle(editing ? loaded?.title ?? t("nav.needs") : t("needs.new"));

  useEffect(() => {
    if (!id) return;
    const ctrl = new AbortController();
    api
      .GET("/api/v1/needs/{need_id}", { params: { path: { need_id: id } }, signal: ctrl.signal })
      .then(async (res) => {
        const need = await unwrap(Promise.resolve(res));
        setLoaded(need);
        setForm(fromNeed(need));
        setEtag(etagOf(res.response));
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoadError(e);
      });
    return () => ctrl.abort();
  }, [id]);

  const patch = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setSaved(false);
    setClientErrors((e) => {
      if (!(key in e)) return e;
      const { [key]: _gone, ...rest } = e;
      return rest;
    });
  };

  const serverErrors = error instanceof ApiError ? error.fieldErrors() : {};
  const errs = { ...serverErrors, ...clientErrors };
  // Members set draft, open or closed; in_discussion and matched belong to coordinators (API: 403).
  const member = me?.role === "member";
  const readOnly = !canEdit(me) || (me?.role === "member" && loaded !== null && loaded.collectivity_id !== me.collectivity_id);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ce: Record<string, string> = {};
    if (!form.collectivity_id) ce.collectivity_id = t("needs.err.collectivity");
    if (!form.title.trim()) ce.title = t("needs.err.title");
    const budget = form.estimated_budget_eur.trim();
    if (budget && !/^\d+$/.test(budget)) ce.estimated_budget_eur = t("needs.err.budget");
    setClientErrors(ce);
    if (Object.keys(ce).length) {
      document.getElementById(`need-${Object.keys(ce)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    const body = {
      collectivity_id: form.collectivity_id!,
      direction: form.direction,
      title: form.title.trim(),
      description: form.description,
      tag_ids: form.tag_ids,
      priority: form.priority,
      status: form.status,
      source: form.source,
      estimated_budget_eur: budget ? Number(budget) : null,
      source_event_id: form.source_event_id,
    };
    try {
      if (editing) {
        const res = await api.PATCH("/api/v1/needs/{need_id}", {
          params: { path: { need_id: id }, header: { "if-match": etag } as never },
          body,
        });
        const need = await unwrap(Promise.resolve(res));
        setLoaded(need);
        setEtag(etagOf(res.response));
        setSaved(true);
      } else {
        const need = await unwrap(api.POST("/api/v1/needs", { body }));
        navigate(`/needs/${need.id}?saved=1`, { replace: true });
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!id || !window.confirm(t("needs.confirmDelete"))) return;
    setBusy(true);
    try {
      await unwrap(api.DELETE("/api/v1/needs/{need_id}", { params: { path: { need_id: id } } }));
      navigate("/needs");
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (loadError) return <ErrorBox error={loadError} />;
  if (editing && !loaded) return <Loading />;

  return (
    <>
      <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
        <Link to="/needs">{t("nav.needs")}</Link>
      </nav>
      <PageHeader title={editing ? loaded!.title : t("needs.new")} />
      {saved && (
        <p className="alert alert-success" role="status">
          {t("needs.saved")}
        </p>
      )}
      <form className="form card" onSubmit={submit} noValidate aria-label={editing ? t("needs.edit") : t("needs.new")}>
        <ErrorBox error={error} />
        <fieldset disabled={readOnly || busy} className="plain">
          <Field id="need-collectivity_id" label={t("field.collectivity")} error={errs.collectivity_id} hint={t("needs.hint.collectivity")}>
            {(p) => (
              <CollectivityPicker
                id={p.id}
                value={form.collectivity_id}
                onChange={(cid) => patch("collectivity_id", cid)}
                describedBy={p["aria-describedby"]}
                invalid={p["aria-invalid"]}
              />
            )}
          </Field>
          <div className="row">
            <Field label={t("field.direction")}>
              {(p) => (
                <select {...p} value={form.direction} onChange={(e) => patch("direction", e.target.value as FormState["direction"])}>
                  {DIRECTIONS.map((d) => (
                    <option key={d} value={d}>
                      {tv("direction", d)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t("field.priority")}>
              {(p) => (
                <select {...p} value={form.priority} onChange={(e) => patch("priority", e.target.value as FormState["priority"])}>
                  {PRIORITIES.map((d) => (
                    <option key={d} value={d}>
                      {tv("priority", d)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t("field.status")} hint={member ? t("needs.memberStatusHint") : undefined}>
              {(p) => (
                <select
                  {...p}
                  value={form.status}
                  disabled={member && loaded !== null && !MEMBER_STATUSES.includes(loaded.status)}
                  onChange={(e) => patch("status", e.target.value as FormState["status"])}
                >
                  {NEED_STATUSES.filter((d) => !member || MEMBER_STATUSES.includes(d) || d === form.status).map((d) => (
                    <option key={d} value={d}>
                      {tv("needStatus", d)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {isStaff(me) && (
              <Field label={t("field.source")}>
                {(p) => (
                  <select {...p} value={form.source} onChange={(e) => patch("source", e.target.value as FormState["source"])}>
                    {SOURCES.map((d) => (
                      <option key={d} value={d}>
                        {tv("source", d)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </div>
          <Field id="need-title" label={t("field.title")} error={errs.title}>
            {(p) => (
              <input {...p} maxLength={300} value={form.title} onChange={(e) => patch("title", e.target.value)} />
            )}
          </Field>
          <Field label={t("field.description")} error={errs.description}>
            {(p) => (
              <textarea {...p} rows={5} maxLength={10000} value={form.description} onChange={(e) => patch("description", e.target.value)} />
            )}
          </Field>
          <TagPicker legend={t("field.themes")} value={form.tag_ids} onChange={(ids) => patch("tag_ids", ids)} error={errs.tag_ids} />
          <Field id="need-estimated_budget_eur" label={t("field.budget")} error={errs.estimated_budget_eur}>
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                value={form.estimated_budget_eur}
                onChange={(e) => patch("estimated_budget_eur", e.target.value)}
              />
            )}
          </Field>
        </fieldset>
        {!readOnly && (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? t("state.working") : editing ? t("action.save") : t("needs.create")}
            </button>
            {editing && (
              <button type="button" className="btn btn-danger" onClick={remove} disabled={busy}>
                {t("action.delete")}
              </button>
            )}
          </div>
        )}
      </form>
    </>
  );
}
