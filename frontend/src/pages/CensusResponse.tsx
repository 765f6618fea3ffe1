import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { collectivityName } from "../components/CollectivityPicker";
import { TagList } from "../components/TagPicker";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, toneOf } from "../components/ui";
import { useCollectivities, useTags } from "../hooks";
import { labelOf, useI18n } from "../i18n";
import { Link, withQuery } from "../router";
import { useTitle } from "./common";

/** Review of one census answer: its draft needs, then validate (needs open) or reject. */
export default function CensusResponse({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, tv, lang, date } = useI18n();
  const tags = useTags();
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [addContact, setAddContact] = useState(true);
  const resp = useQuery({
    queryKey: ["census", "CensusResponse.resp", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/census/responses/{response_id}", { params: { path: { response_id: id } }, signal })),
  });
  const names = useCollectivities([
    resp.data?.collectivity_id,
    ...(resp.data?.former_partners ?? []).map((p) => p.french_collectivity_id),
  ]);
  useTitle(resp.data ? `${t("census.review")} · ${collectivityName(names[resp.data.collectivity_id], lang)}` : t("census.review"));

  const decide = async (action: "validate" | "reject") => {
    setBusy(true);
    setError(null);
    try {
      if (action === "validate") {
        await unwrap(
          api.POST("/api/v1/census/responses/{response_id}/validate", { params: { path: { response_id: id } }, body: { add_contact: addContact } }),
        );
      } else {
        await unwrap(api.POST("/api/v1/census/responses/{response_id}/reject", { params: { path: { response_id: id } }, body: { reason } }));
      }
      void resp.refetch();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const tagById = new Map((tags.data ?? []).map((x) => [x.id, x]));

  return (
    <Async state={resp}>
      {(r) => (
        <>
          <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
            <Link to={withQuery(`/census/campaigns/${r.campaign_id}`, { tab: "responses" })}>{t("census.responses")}</Link>
          </nav>
          <PageHeader title={collectivityName(names[r.collectivity_id], lang)}>
            <p className="muted">
              <Badge tone={toneOf(r.status)}>{tv("responseStatus", r.status)}</Badge> {t("census.submittedOn")} {date(r.submitted_at, true)} ·{" "}
              {tv("language", r.language)} · {t("census.submissions", { n: r.submissions })}
            </p>
          </PageHeader>
          <ErrorBox error={error} />
          <div className="grid-2">
            <section className="card" aria-labelledby="r-contact">
              <h2 id="r-contact">{t("census.contact")}</h2>
              <dl className="dl">
                <dt>{t("field.fullName")}</dt>
                <dd><Bdi>{r.contact.full_name}</Bdi></dd>
                <dt>{t("field.role")}</dt>
                <dd>{r.contact.role || "—"}</dd>
                <dt>{t("field.email")}</dt>
                <dd>{r.contact.email ?? "—"}</dd>
                <dt>{t("field.phone")}</dt>
                <dd dir="ltr">{r.contact.phone ?? "—"}</dd>
                <dt>{t("census.consentGiven")}</dt>
                <dd>{r.contact.consent ? t("census.consentYes") : t("census.consentNo")}</dd>
              </dl>
              {r.contact_id && (
                <p role="status">
                  <Link to={`/collectivities/${r.collectivity_id}`}>{t("census.contactAdded")}</Link>
                </p>
              )}
            </section>
            <section className="card" aria-labelledby="r-prio">
              <h2 id="r-prio">{t("census.priorities")}</h2>
              {r.priorities.length ? (
                <ol>
                  {r.priorities.map((p) => (
                    <li key={p}>{labelOf(tagById.get(p), lang) || "…"}</li>
                  ))}
                </ol>
              ) : (
                <p className="muted">—</p>
              )}
            </section>
          </div>
          <section className="card" aria-labelledby="r-needs">
            <h2 id="r-needs">{t("census.draftNeeds")}</h2>
            {r.needs.length === 0 ? (
              <p className="empty">{t("census.noNeeds")}</p>
            ) : (
              <ul className="list">
                {r.needs.map((n) => (
                  <li key={n.id}>
                    <Link to={`/needs/${n.id}`}><Bdi>{n.title}</Bdi></Link> <Badge tone={toneOf(n.status)}>{tv("needStatus", n.status)}</Badge>{" "}
                    <small className="muted">{tv("priority", n.priority)}</small>
                    {n.description && <p className="prose small" dir="auto">{n.description}</p>}
                    <TagList ids={n.tag_ids ?? []} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="r-former">
            <h2 id="r-former">{t("census.formerPartners")}</h2>
            {r.former_partners.length === 0 ? (
              <p className="muted">—</p>
            ) : (
              <ul className="list">
                {r.former_partners.map((p, i) => (
                  <li key={i}>
                    {p.french_collectivity_id ? (
                      <Link to={`/collectivities/${p.french_collectivity_id}`}><Bdi>{collectivityName(names[p.french_collectivity_id], lang)}</Bdi></Link>
                    ) : (
                      p.name
                    )}{" "}
                    <small className="muted">
                      {p.since_year ?? "?"} → {p.until_year ?? "?"}
                    </small>
                    {r.unresolved_partners.includes(p.name) && (
                      <>
                        {" "}
                        <Badge tone="warn">{t("census.unresolved")}</Badge>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {r.partnership_ids.length > 0 && <p>{t("census.partnershipsCreated", { n: r.partnership_ids.length })}</p>}
          </section>
          {r.status === "submitted" ? (
            <section className="card" aria-labelledby="r-decide">
              <h2 id="r-decide">{t("census.decision")}</h2>
              <p className="hint">{t("census.decisionHint")}</p>
              {r.contact.consent && (
                <label className="check">
                  <input type="checkbox" checked={addContact} onChange={(e) => setAddContact(e.target.checked)} /> {t("census.addContact", { name: r.contact.full_name })}
                </label>
              )}
              <div className="form-actions">
                <button type="button" className="btn btn-primary" disabled={busy} onClick={() => decide("validate")}>
                  {t("census.validate")}
                </button>
              </div>
              <Field label={t("census.rejectReason")}>
                {(p) => <textarea {...p} rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />}
              </Field>
              <button type="button" className="btn btn-danger" disabled={busy} onClick={() => decide("reject")}>
                {t("census.reject")}
              </button>
            </section>
          ) : (
            <p className="alert alert-info" role="status">
              {t("census.reviewed", { status: tv("responseStatus", r.status), who: r.reviewed_by ?? "—", date: date(r.reviewed_at, true) })}
              {r.rejection_reason && ` — ${r.rejection_reason}`}
            </p>
          )}
        </>
      )}
    </Async>
  );
}
