import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import type { components } from "../api/schema";
import { canEdit, isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { TagPicker } from "../components/TagPicker";
import { Bdi, ErrorBox, Field, Loading, PageHeader } from "../components/ui";
import { rememberCollectivities } from "../hooks";
import { LANGS, useI18n } from "../i18n";
import { Link, navigate } from "../router";
import { useTitle } from "./common";
import { GovernorateChecks } from "../components/Governorates";

type Collectivity = components["schemas"]["CollectivityPublic"];
type Update = components["schemas"]["CollectivityUpdate"];
type Lang = components["schemas"]["Language"];
type Capacity = components["schemas"]["Capacity"];

/** Edit a collectivity's profile, expertise and interests (coordinators, or a member for their own). */
export default function CollectivityEdit({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, tv, lang } = useI18n();
  const { me } = useAuth();
  const [c, setC] = useState<Collectivity | null>(null);
  const [etag, setEtag] = useState<string>();
  const [form, setForm] = useState<Update>({});
  const [altText, setAltText] = useState("");
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const qc = useQueryClient();
  useTitle(c ? `${t("col.edit")} · ${collectivityName(c, lang)}` : t("col.edit"));

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .GET("/api/v1/collectivities/{collectivity_id}", { params: { path: { collectivity_id: id } }, signal: ctrl.signal })
      .then(async (res) => {
        const row = await unwrap(Promise.resolve(res));
        setC(row);
        setEtag(etagOf(res.response));
        setForm({
          name: row.name,
          name_ar: row.name_ar ?? "",
          population: row.population ?? null,
          website: row.website ?? "",
          description: row.description ?? "",
          languages: row.languages ?? [],
          capacity: row.capacity ?? null,
          preferred_governorates: row.preferred_governorates ?? [],
          expertise_tag_ids: row.expertise_tag_ids ?? [],
          interest_tag_ids: row.interest_tag_ids ?? [],
        });
        setAltText((row.name_alt ?? []).join(", "));
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoadError(e);
      });
    return () => ctrl.abort();
  }, [id]);

  if (loadError) return <ErrorBox error={loadError} />;
  if (!c) return <Loading />;
  const allowed = canEdit(me) && (isStaff(me) || me?.collectivity_id === c.id);
  if (!allowed) return <ErrorBox error={new ApiError(403, null)} />;
  const patch = (p: Update) => setForm((f) => ({ ...f, ...p }));
  const errs = error instanceof ApiError ? error.fieldErrors() : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Update = {
        ...form,
        name_ar: form.name_ar || null,
        website: form.website || null,
        name_alt: altText
          .split(/[,;|]/)
          .map((s) => s.trim())
          .filter(Boolean),
      };
      if (c.country !== "FR") {
        delete body.capacity;
        delete body.preferred_governorates;
      }
      const saved = await unwrap(
        api.PATCH("/api/v1/collectivities/{collectivity_id}", {
          params: { path: { collectivity_id: id }, header: { "if-match": etag } as never },
          body,
        }),
      );
      // Lists and pages naming it read it again; screens naming it by id get the saved row.
      await qc.invalidateQueries({ queryKey: ["collectivities"] });
      rememberCollectivities(qc, [saved]);
      navigate(`/collectivities/${id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
        <Link to={`/collectivities/${id}`}><Bdi>{collectivityName(c, lang)}</Bdi></Link>
      </nav>
      <PageHeader title={t("col.edit")} />
      <form className="form card" onSubmit={submit} noValidate>
        <ErrorBox error={error} />
        <fieldset disabled={busy} className="plain">
          <div className="row">
            <Field label={t("field.name")} error={errs.name}>
              {(p) => <input {...p} required maxLength={200} value={form.name ?? ""} onChange={(e) => patch({ name: e.target.value })} />}
            </Field>
            <Field label={t("col.nameAr")} error={errs.name_ar}>
              {(p) => <input {...p} dir="rtl" lang="ar" maxLength={200} value={form.name_ar ?? ""} onChange={(e) => patch({ name_ar: e.target.value })} />}
            </Field>
          </div>
          <Field label={t("field.nameAlt")} hint={t("col.nameAltHint")} error={errs.name_alt}>
            {(p) => <input {...p} value={altText} onChange={(e) => setAltText(e.target.value)} />}
          </Field>
          <div className="row">
            <Field label={t("field.population")} error={errs.population}>
              {(p) => (
                <input
                  {...p}
                  inputMode="numeric"
                  value={form.population ?? ""}
                  onChange={(e) => patch({ population: e.target.value.replace(/\D/g, "") ? Number(e.target.value.replace(/\D/g, "")) : null })}
                />
              )}
            </Field>
            <Field label={t("field.website")} error={errs.website}>
              {(p) => <input {...p} type="url" dir="ltr" maxLength={300} value={form.website ?? ""} onChange={(e) => patch({ website: e.target.value })} />}
            </Field>
            {c.country === "FR" && (
              <Field label={t("field.capacity")} error={errs.capacity}>
                {(p) => (
                  <select {...p} value={form.capacity ?? ""} onChange={(e) => patch({ capacity: (e.target.value || null) as Capacity | null })}>
                    <option value="">—</option>
                    {(["low", "medium", "high"] as const).map((x) => (
                      <option key={x} value={x}>
                        {tv("capacity", x)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </div>
          <fieldset>
            <legend>{t("field.languages")}</legend>
            {LANGS.map((l) => (
              <label key={l.code} className="check" style={{ marginInlineEnd: "1rem" }}>
                <input
                  type="checkbox"
                  checked={(form.languages ?? []).includes(l.code as Lang)}
                  onChange={(e) =>
                    patch({
                      languages: e.target.checked
                        ? [...(form.languages ?? []), l.code as Lang]
                        : (form.languages ?? []).filter((x) => x !== l.code),
                    })
                  }
                />{" "}
                {l.label}
              </label>
            ))}
          </fieldset>
          {c.country === "FR" && (
            <GovernorateChecks legend={t("field.preferredGovernorates")} value={form.preferred_governorates ?? []} onChange={(codes) => patch({ preferred_governorates: codes })} />
          )}
          <Field label={t("field.description")} error={errs.description}>
            {(p) => <textarea {...p} rows={4} maxLength={5000} value={form.description ?? ""} onChange={(e) => patch({ description: e.target.value })} />}
          </Field>
          <TagPicker legend={t("field.expertise")} value={form.expertise_tag_ids ?? []} onChange={(ids) => patch({ expertise_tag_ids: ids })} />
          <TagPicker legend={t("field.interests")} value={form.interest_tag_ids ?? []} onChange={(ids) => patch({ interest_tag_ids: ids })} />
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !form.name?.trim()}>
            {busy ? t("state.working") : t("action.save")}
          </button>
          <Link className="btn" to={`/collectivities/${id}`}>
            {t("action.cancel")}
          </Link>
        </div>
      </form>
    </>
  );
}
