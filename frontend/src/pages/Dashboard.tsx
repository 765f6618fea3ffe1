import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { BarChart } from "../components/BarChart";
import { collectivityName } from "../components/CollectivityPicker";
import { Bdi, Async, Badge, PageHeader } from "../components/ui";
import { governoratesQuery, tagsQuery, useCollectivities } from "../hooks";
import { labelOf, nameOf, useI18n } from "../i18n";
import { buildTree } from "../components/TagPicker";
import { Link } from "../router";
import { isStaff, useAuth } from "../auth";
import { useTitle } from "./common";

const count = (p: Promise<{ total: number }>) => p.then((r) => r.total);

export default function Dashboard() {
  const { t, tv, num, lang, date } = useI18n();
  const { me } = useAuth();
  const staff = isStaff(me);
  useTitle(t("nav.dashboard"));
  const qc = useQueryClient();

  const funnel = useQuery({
    queryKey: ["matches", "Dashboard.funnel"],
    queryFn: async ({ signal }) => {
    const statuses = ["proposed", "shortlisted", "contacted", "accepted", "meeting_scheduled", "partnership_formed"] as const;
    const totals = await Promise.all(
      statuses.map((status) =>
        count(unwrap(api.GET("/api/v1/matches", { params: { query: { status, limit: 0 } }, signal }))),
      ),
    );
    return statuses.map((s, i) => ({ key: s, value: totals[i] }));
  },
  });

  const upcoming = useQuery({
    queryKey: ["events", "Dashboard.upcoming"],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/events", {
          params: { query: { starts_after: new Date().toISOString(), sort: "starts_at", limit: 5 } },
          signal,
        }),
      ),
  });

  const census = useQuery({
    queryKey: ["census", "Dashboard.census", staff],
    queryFn: async ({ signal }) => {
      if (!staff) return null;
      const campaigns = await unwrap(
        api.GET("/api/v1/census/campaigns", { params: { query: { limit: 1, sort: "-created_at" } }, signal }),
      );
      const c = campaigns.items[0];
      if (!c) return null;
      const p = await unwrap(
        api.GET("/api/v1/census/campaigns/{campaign_id}/progress", { params: { path: { campaign_id: c.id } }, signal }),
      );
      return { campaign: c, progress: p };
    },
  });

  const counts = useQuery({
    queryKey: ["collectivities", "Dashboard.counts"],
    queryFn: async ({ signal }) => {
    const c = (query: Record<string, string>) =>
      count(unwrap(api.GET("/api/v1/collectivities", { params: { query: { ...query, limit: 0 } }, signal })));
    const n = (query: Record<string, string>) =>
      count(unwrap(api.GET("/api/v1/needs", { params: { query: { ...query, limit: 0 } }, signal })));
    const p = (status: "active" | "dormant") =>
      count(unwrap(api.GET("/api/v1/partnerships", { params: { query: { status, limit: 0 } }, signal })));
    const [fr, lb, open, drafts, active, dormant] = await Promise.all([
      c({ country: "FR" }),
      c({ country: "LB" }),
      n({ status: "open" }),
      n({ status: "draft" }),
      p("active"),
      p("dormant"),
    ]);
    return { fr, lb, open, drafts, active, dormant };
  },
  });

  const byTheme = useQuery({
    queryKey: ["needs", "Dashboard.byTheme"],
    queryFn: async ({ signal }) => {
    const roots = buildTree(await qc.fetchQuery(tagsQuery));
    const totals = await Promise.all(
      roots.map((r) =>
        count(
          unwrap(
            api.GET("/api/v1/needs", { params: { query: { tag: r.tag.slug, direction: "request", limit: 0 } }, signal }),
          ),
        ),
      ),
    );
    return roots.map((r, i) => ({ key: r.tag.slug, tag: r.tag, value: totals[i] })).sort((a, b) => b.value - a.value);
  },
  });

  const byGov = useQuery({
    queryKey: ["needs", "Dashboard.byGov"],
    queryFn: async ({ signal }) => {
    const govs = await qc.fetchQuery(governoratesQuery);
    const totals = await Promise.all(
      govs.map((g) =>
        count(unwrap(api.GET("/api/v1/needs", { params: { query: { governorate: g.code, limit: 0 } }, signal }))),
      ),
    );
    return govs.map((g, i) => ({ key: g.code, gov: g, value: totals[i] })).sort((a, b) => b.value - a.value);
  },
  });

  const dormant = useQuery({
    queryKey: ["partnerships", "Dashboard.dormant"],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/partnerships", {
          params: { query: { status: "dormant", limit: 6, sort: "last_activity_year" } },
          signal,
        }),
      ),
  });
  const partners = useCollectivities(
    (dormant.data?.items ?? []).flatMap((p) => [p.french_collectivity_id, p.lebanese_collectivity_id]),
  );

  const tiles: { key: string; label: string; value?: number; to: string }[] = [
    { key: "lb", label: t("dash.lebanese"), value: counts.data?.lb, to: "/collectivities?country=LB" },
    { key: "fr", label: t("dash.french"), value: counts.data?.fr, to: "/collectivities?country=FR" },
    { key: "open", label: t("dash.openNeeds"), value: counts.data?.open, to: "/needs?status=open" },
    { key: "drafts", label: t("dash.draftNeeds"), value: counts.data?.drafts, to: "/needs?status=draft" },
    { key: "active", label: t("dash.activePartnerships"), value: counts.data?.active, to: "/partnerships?status=active" },
    { key: "dormant", label: t("dash.dormantPartnerships"), value: counts.data?.dormant, to: "/partnerships?status=dormant" },
  ];

  return (
    <>
      <PageHeader title={t("nav.dashboard")} />
      <section aria-labelledby="dash-counts">
        <h2 id="dash-counts" className="visually-hidden">
          {t("dash.counts")}
        </h2>
        {counts.error ? (
          <Async state={counts}>{() => null}</Async>
        ) : (
          <ul className="tiles">
            {tiles.map((tile) => (
              <li key={tile.key}>
                <Link to={tile.to} className="tile">
                  <span className="tile-value">{tile.value === undefined ? "…" : num(tile.value)}</span>
                  <span className="tile-label">{tile.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="grid-2">
        <section className="card">
          <Async state={byTheme}>
            {(rows) => (
              <BarChart
                title={t("dash.needsByTheme")}
                bars={rows.map((r) => ({ key: r.key, label: labelOf(r.tag, lang), value: r.value }))}
              />
            )}
          </Async>
        </section>
        <section className="card">
          <Async state={byGov}>
            {(rows) => (
              <BarChart
                title={t("dash.needsByGovernorate")}
                bars={rows.map((r) => ({ key: r.key, label: nameOf(r.gov, lang), value: r.value }))}
              />
            )}
          </Async>
        </section>
      </div>
      <section className="card funnel">
        <Async state={funnel}>
          {(rows) => (
            <BarChart title={t("dash.funnel")} bars={rows.map((r) => ({ key: r.key, label: tv("matchStatus", r.key), value: r.value }))} />
          )}
        </Async>
        <p>
          <Link to="/matching">{t("dash.toBoard")}</Link>
        </p>
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="dash-events">
          <h2 id="dash-events">{t("dash.upcomingEvents")}</h2>
          <Async state={upcoming} isEmpty={(d) => d.items.length === 0} empty={t("dash.noUpcoming")}>
            {(page) => (
              <ul className="list">
                {page.items.map((e) => (
                  <li key={e.id}>
                    <Link to={`/events/${e.id}`}><Bdi>{e.title}</Bdi></Link>{" "}
                    <small className="muted">
                      {date(e.starts_at, true)} · {tv("eventKind", e.kind)} · {t("dash.registered", { n: e.registered_count })}
                    </small>
                  </li>
                ))}
              </ul>
            )}
          </Async>
          <p>
            <Link to="/events">{t("dash.allEvents")}</Link>
          </p>
        </section>
        {staff && (
          <section className="card" aria-labelledby="dash-census">
            <h2 id="dash-census">{t("dash.census")}</h2>
            <Async state={census} isEmpty={(d) => d === null} empty={t("dash.noCensus")}>
              {(d) => (
                <>
                  <p>
                    <Link to={`/census/campaigns/${d!.campaign.id}`}><Bdi>{d!.campaign.title}</Bdi></Link>
                  </p>
                  <BarChart
                    title={t("dash.censusProgress")}
                    bars={(["invited", "opened", "submitted", "validated"] as const).map((k) => ({
                      key: k,
                      label: t(`census.state.${k}`),
                      value: d!.progress.total[k] ?? 0,
                    }))}
                  />
                </>
              )}
            </Async>
          </section>
        )}
      </div>
      <section className="card" aria-labelledby="dash-dormant">
        <h2 id="dash-dormant">{t("dash.dormantTitle")}</h2>
        <p className="muted">{t("dash.dormantHint")}</p>
        <Async state={dormant} isEmpty={(d) => d.items.length === 0} empty={t("dash.dormantEmpty")}>
          {(page) => (
            <ul className="list">
              {page.items.map((p) => (
                <li key={p.id}>
                  <Link to={`/collectivities/${p.french_collectivity_id}`}>
                    <Bdi>{collectivityName(partners[p.french_collectivity_id], lang)}</Bdi>
                  </Link>{" "}
                  ↔{" "}
                  <Link to={`/collectivities/${p.lebanese_collectivity_id}`}>
                    <Bdi>{collectivityName(partners[p.lebanese_collectivity_id], lang)}</Bdi>
                  </Link>{" "}
                  <Badge tone="warn">{t("dash.lastActivity", { year: p.last_activity_year ?? "—" })}</Badge>
                </li>
              ))}
            </ul>
          )}
        </Async>
        <p>
          <Link to="/partnerships?status=dormant">{t("dash.allDormant")}</Link>
        </p>
      </section>
    </>
  );
}
