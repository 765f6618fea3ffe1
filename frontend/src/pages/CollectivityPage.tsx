import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, unwrap } from "../api/client";
import { canEdit, isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { TagList } from "../components/TagPicker";
import { Bdi, Async, Badge, PageHeader, toneOf } from "../components/ui";
import { rememberCollectivities, useCollectivities, useGovernorates, useNeeds } from "../hooks";
import { ProposalCard } from "./ProposalCard";
import { SystemNoteText } from "../components/SystemNote";
import { nameOf, useI18n, type MessageKey } from "../i18n";
import { Link, withQuery } from "../router";
import { useTitle } from "./common";
import { NewContact } from "./NewContact";

export default function CollectivityPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, tv, num, lang, date } = useI18n();
  const { me } = useAuth();
  const govs = useGovernorates();

  const qc = useQueryClient();
  const c = useQuery({
    queryKey: ["collectivities", "CollectivityPage.c", id],
    queryFn: async ({ signal }) => {
    const row = await unwrap(
      api.GET("/api/v1/collectivities/{collectivity_id}", { params: { path: { collectivity_id: id } }, signal }),
    );
    rememberCollectivities(qc, [row]);
    return row;
  },
  });
  useTitle(c.data ? collectivityName(c.data, lang) : t("nav.directory"));

  const needs = useQuery({
    queryKey: ["needs", "CollectivityPage.needs", id],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/needs", { params: { query: { collectivity_id: id, limit: 100 } }, signal })),
  });
  const partnerships = useQuery({
    queryKey: ["partnerships", "CollectivityPage.partnerships", id],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/partnerships", { params: { query: { collectivity_id: id, limit: 100 } }, signal })),
  });
  const staff = isStaff(me);
  const contacts = useQuery({
    queryKey: ["contacts", "CollectivityPage.contacts", id, staff],
    queryFn: async ({ signal }) =>
      staff
        ? unwrap(api.GET("/api/v1/contacts", { params: { query: { collectivity_id: id, limit: 100 } }, signal }))
        : null,
  });
  const partners = useCollectivities(
    (partnerships.data?.items ?? []).map((p) =>
      p.french_collectivity_id === id ? p.lebanese_collectivity_id : p.french_collectivity_id,
    ),
  );
  const parent = useCollectivities([c.data?.parent_id]);
  const proposals = useQuery({
    queryKey: ["matches", "CollectivityPage.proposals", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/matches", { params: { query: { collectivity_id: id, limit: 50 } }, signal })),
  });
  const proposalNames = useCollectivities(
    (proposals.data?.items ?? []).flatMap((m) => [m.lebanese_collectivity_id, ...m.french_collectivity_ids]),
  );
  const proposalNeeds = useNeeds((proposals.data?.items ?? []).map((m) => m.need_id));
  // The events ahead that speak to this collectivity's country (or to both).
  const now = useMemo(() => new Date().toISOString(), []);
  const events = useQuery({
    queryKey: ["events", "CollectivityPage.events", now],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/events", { params: { query: { starts_after: now, sort: "starts_at", limit: 20 } }, signal })),
  });

  return (
    <Async state={c}>
      {(col) => {
        const gov = govs.data?.find((g) => g.code === col.governorate);
        const forUs = (audience: string | null | undefined) => !audience || audience === "both" || audience === col.country;
        const place =
          col.country === "LB"
            ? [gov ? nameOf(gov, lang) : col.governorate, col.district].filter(Boolean).join(" · ")
            : [col.region && t("dir.region", { code: col.region }), col.departement && t("dir.departement", { code: col.departement })]
                .filter(Boolean)
                .join(" · ");
        const mayEdit = canEdit(me) && (staff || me?.collectivity_id === col.id);
        return (
          <>
            <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
              <Link to="/collectivities">{t("nav.directory")}</Link>
            </nav>
            <PageHeader
              title={collectivityName(col, lang)}
              actions={
                mayEdit && (
                  <>
                    <Link className="btn" to={`/collectivities/${col.id}/edit`}>
                      {t("col.edit")}
                    </Link>
                    <Link className="btn btn-primary" to={withQuery("/needs/new", { collectivity: col.id })}>
                      {t("needs.new")}
                    </Link>
                  </>
                )
              }
            >
              <p className="muted">
                {t(`country.${col.country}` as MessageKey)} · {tv("kind", col.kind)}
                {place && ` · ${place}`}
                {lang === "ar" ? col.name && <> · <Bdi lang="fr">{col.name}</Bdi></> : col.name_ar && <> · <Bdi lang="ar">{col.name_ar}</Bdi></>}
              </p>
            </PageHeader>
            <div className="grid-2">
              <section className="card" aria-labelledby="c-profile">
                <h2 id="c-profile">{t("col.profile")}</h2>
                <dl className="dl">
                  <dt>{t("field.population")}</dt>
                  <dd>{num(col.population)}</dd>
                  <dt>{t("field.code")}</dt>
                  <dd>{col.code ?? "—"}</dd>
                  {col.parent_id && (
                    <>
                      <dt>{t("field.parent")}</dt>
                      <dd>
                        <Link to={`/collectivities/${col.parent_id}`}><Bdi>{collectivityName(parent[col.parent_id], lang)}</Bdi></Link>
                      </dd>
                    </>
                  )}
                  {col.country === "FR" && (
                    <>
                      <dt>{t("field.capacity")}</dt>
                      <dd>{tv("capacity", col.capacity)}</dd>
                    </>
                  )}
                  <dt>{t("field.languages")}</dt>
                  <dd>{(col.languages ?? []).length ? (col.languages ?? []).map((l) => tv("language", l)).join(", ") : "—"}</dd>
                  <dt>{t("field.website")}</dt>
                  <dd>
                    {col.website ? (
                      <a href={col.website} rel="noopener noreferrer" target="_blank">
                        {col.website}
                      </a>
                    ) : (
                      "—"
                    )}
                  </dd>
                  {(col.name_alt ?? []).length > 0 && (
                    <>
                      <dt>{t("field.nameAlt")}</dt>
                      <dd>{(col.name_alt ?? []).join(", ")}</dd>
                    </>
                  )}
                  {(col.preferred_governorates ?? []).length > 0 && (
                    <>
                      <dt>{t("field.preferredGovernorates")}</dt>
                      <dd>
                        {(col.preferred_governorates ?? [])
                          .map((code) => {
                            const g = govs.data?.find((x) => x.code === code);
                            return g ? nameOf(g, lang) : code;
                          })
                          .join(", ")}
                      </dd>
                    </>
                  )}
                </dl>
                {col.description && <p className="prose" dir="auto">{col.description}</p>}
              </section>
              <section className="card" aria-labelledby="c-themes">
                <h2 id="c-themes">{t("col.themes")}</h2>
                <h3>{t("field.expertise")}</h3>
                <TagList ids={(col.expertise_tag_ids ?? [])} />
                <h3>{t("field.interests")}</h3>
                <TagList ids={(col.interest_tag_ids ?? [])} />
              </section>
            </div>

            {staff && (
              <section className="card" aria-labelledby="c-contacts">
                <h2 id="c-contacts">{t("col.contacts")}</h2>
                <NewContact collectivityId={id} onCreated={() => void contacts.refetch()} />
                <Async state={contacts} isEmpty={(d) => !d || d.items.length === 0} empty={t("col.noContacts")}>
                  {(page) => (
                    <div className="table-wrap">
                      <table className="table">
                        <thead>
                          <tr>
                            <th scope="col">{t("field.fullName")}</th>
                            <th scope="col">{t("field.role")}</th>
                            <th scope="col">{t("field.email")}</th>
                            <th scope="col">{t("field.phone")}</th>
                            <th scope="col">{t("field.consent")}</th>
                          </tr>
                        </thead>
                        <tbody>
                          {page!.items.map((p) => (
                            <tr key={p.id} className={p.active ? undefined : "row-muted"}>
                              <td><Bdi>{p.full_name}</Bdi></td>
                              <td>{p.role || "—"}</td>
                              <td>{p.email ? <a href={`mailto:${p.email}`}>{p.email}</a> : "—"}</td>
                              <td dir="ltr">{p.phone ?? "—"}</td>
                              <td>{p.consent_at ? date(p.consent_at) : t("col.noConsent")}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  )}
                </Async>
              </section>
            )}

            <section className="card" aria-labelledby="c-needs">
              <h2 id="c-needs">{t("col.needs")}</h2>
              <Async state={needs} isEmpty={(d) => d.items.length === 0} empty={t("col.noNeeds")}>
                {(page) => (
                  <ul className="list">
                    {page.items.map((n) => (
                      <li key={n.id}>
                        <Link to={`/needs/${n.id}`}><Bdi>{n.title}</Bdi></Link> <Badge tone={toneOf(n.status)}>{tv("needStatus", n.status)}</Badge>{" "}
                        <small className="muted">
                          {tv("direction", n.direction)} · {tv("priority", n.priority)}
                        </small>
                      </li>
                    ))}
                  </ul>
                )}
              </Async>
            </section>

            <section className="card" aria-labelledby="c-partnerships">
              <h2 id="c-partnerships">{t("col.partnerships")}</h2>
              <Async state={partnerships} isEmpty={(d) => d.items.length === 0} empty={t("col.noPartnerships")}>
                {(page) => (
                  <ul className="list">
                    {page.items.map((p) => {
                      const other = p.french_collectivity_id === id ? p.lebanese_collectivity_id : p.french_collectivity_id;
                      return (
                        <li key={p.id}>
                          <Link to={`/collectivities/${other}`}><Bdi>{collectivityName(partners[other], lang)}</Bdi></Link>{" "}
                          <Badge tone={toneOf(p.status)}>{tv("partnershipStatus", p.status)}</Badge>{" "}
                          <small className="muted">
                            {t("part.years", {
                              from: p.started_year ?? "?",
                              to: p.ended_year ?? (p.status === "ended" ? "?" : "…"),
                              last: p.last_activity_year ?? "—",
                            })}
                          </small>
                          {p.system_note && (
                            <p className="small muted">
                              <SystemNoteText note={p.system_note} />
                            </p>
                          )}
                          {p.description && <p className="prose small" dir="auto">{p.description}</p>}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </Async>
            </section>
            <section className="card" aria-labelledby="c-events">
              <h2 id="c-events">{t("col.events")}</h2>
              <Async
                state={events}
                isEmpty={(d) => !d.items.some((e) => forUs(e.audience))}
                empty={t("col.noEvents")}
              >
                {(page) => (
                  <ul className="list">
                    {page.items
                      .filter((e) => forUs(e.audience))
                      .slice(0, 5)
                      .map((e) => (
                        <li key={e.id}>
                          <Link to={`/events/${e.id}`}>
                            <Bdi>{e.title}</Bdi>
                          </Link>{" "}
                          <small className="muted">
                            <Bdi>{date(e.starts_at, true, e.timezone)}</Bdi>
                          </small>{" "}
                          <Badge tone={toneOf(e.status)}>{tv("eventStatus", e.status)}</Badge>
                        </li>
                      ))}
                  </ul>
                )}
              </Async>
            </section>
            <section className="card" aria-labelledby="c-proposals">
              <h2 id="c-proposals">{t("col.proposals")}</h2>
              <Async state={proposals} isEmpty={(d) => d.items.length === 0} empty={t("col.noProposals")}>
                {(page) => (
                  <ul className="proposal-list">
                    {page.items.map((m) => (
                      <li key={m.id}>
                        <Badge tone={toneOf(m.status)}>{tv("matchStatus", m.status)}</Badge>
                        <ProposalCard m={m} names={proposalNames} needTitle={proposalNeeds[m.need_id]?.title} onChanged={() => void proposals.refetch()} />
                      </li>
                    ))}
                  </ul>
                )}
              </Async>
            </section>
          </>
        );
      }}
    </Async>
  );
}
