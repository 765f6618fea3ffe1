import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { SystemNoteText } from "../components/SystemNote";
import { TagList } from "../components/TagPicker";
import { Bdi, Async, Badge, ErrorBox, PageHeader, Pagination, toneOf } from "../components/ui";
import { useCollectivities } from "../hooks";
import { useI18n } from "../i18n";
import { Link, navigate, withQuery } from "../router";
import { useQueryState, useTitle } from "./common";

const STATUSES = ["active", "dormant", "ended", "planned"] as const;
const LIMIT = 25;
const KEYS = ["status", "offset"] as const;

export default function Partnerships() {
  const { t, tv, num, lang } = useI18n();
  useTitle(t("nav.partnerships"));
  const [f, set] = useQueryState(KEYS);
  const status = (STATUSES as readonly string[]).includes(f.status) ? (f.status as (typeof STATUSES)[number]) : "active";
  const offset = Number(f.offset) || 0;

  const totals = useQuery({
    queryKey: ["partnerships", "Partnerships.totals"],
    queryFn: ({ signal }) =>
      Promise.all(
        STATUSES.map((s) =>
          unwrap(api.GET("/api/v1/partnerships", { params: { query: { status: s, limit: 0 } }, signal })).then((p) => p.total),
        ),
      ),
  });
  const list = useQuery({
    queryKey: ["partnerships", "Partnerships.list", status, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/partnerships", {
          params: {
            query: {
              status,
              limit: LIMIT,
              offset,
              sort: status === "active" ? "-started_year" : "last_activity_year",
            },
          },
          signal,
        }),
      ),
  });
  const names = useCollectivities((list.data?.items ?? []).flatMap((p) => [p.french_collectivity_id, p.lebanese_collectivity_id]));
  const { me } = useAuth();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<{ text: string; link?: string } | null>(null);
  const canRelaunch = isStaff(me) && (status === "dormant" || status === "ended");

  // Relaunch: the pair goes on the board as a "relaunch" proposal, or the API says why it cannot (a code the
  // error box says in the person's language).
  const relaunch = async (partnership: string, lebanese: string) => {
    setBusy(partnership);
    setError(null);
    setNotice(null);
    try {
      await unwrap(api.POST("/api/v1/matches/relaunches", { body: { partnership_id: partnership, max_per_french_collectivity: 3 } }));
      navigate(withQuery("/matching", { collectivity_id: lebanese }));
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.problem?.code === "relaunch_no_open_need") {
        setNotice({ text: "", link: withQuery("/needs/new", { collectivity: lebanese }) });
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageHeader title={t("nav.partnerships")}>
        <p className="muted">{t("part.intro")}</p>
      </PageHeader>
      <nav className="tabs" aria-label={t("field.status")}>
        <ul>
          {STATUSES.map((s, i) => (
            <li key={s}>
              <Link to={withQuery("/partnerships", { status: s })} aria-current={s === status ? "page" : undefined}>
                {tv("partnershipStatus", s)}
                {totals.data && <span className="count">{num(totals.data[i])}</span>}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <ErrorBox error={error} />
      {notice && (
        <p className="alert alert-info" role="status">
          {notice.text} {notice.link && <Link to={notice.link}>{t("needs.new")}</Link>}
        </p>
      )}
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("part.empty")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">{tv("partnershipStatus", status)}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("country.FR")}</th>
                    <th scope="col">{t("country.LB")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col">{t("part.period")}</th>
                    <th scope="col">{t("field.themes")}</th>
                    {canRelaunch && <th scope="col">{t("common.actions")}</th>}
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((p) => (
                    <tr key={p.id}>
                      <td>
                        <Link to={`/collectivities/${p.french_collectivity_id}`}><Bdi>{collectivityName(names[p.french_collectivity_id], lang)}</Bdi></Link>
                      </td>
                      <td>
                        <Link to={`/collectivities/${p.lebanese_collectivity_id}`}>
                          <Bdi>{collectivityName(names[p.lebanese_collectivity_id], lang)}</Bdi>
                        </Link>
                      </td>
                      <td>
                        <Badge tone={toneOf(p.status)}>{tv("partnershipStatus", p.status)}</Badge>
                      </td>
                      <td>
                        {t("part.years", {
                          from: p.started_year ?? "?",
                          to: p.ended_year ?? (p.status === "ended" ? "?" : "…"),
                          last: p.last_activity_year ?? "—",
                        })}
                        {p.system_note && (
                          <small className="muted note-line">
                            <SystemNoteText note={p.system_note} />
                          </small>
                        )}
                      </td>
                      <td>
                        <TagList ids={p.tag_ids ?? []} />
                      </td>
                      {canRelaunch && (
                        <td>
                          <button
                            type="button"
                            className="btn btn-small"
                            disabled={busy !== null}
                            onClick={() => void relaunch(p.id, p.lebanese_collectivity_id)}
                          >
                            {busy === p.id ? t("state.working") : t("part.relaunch")}
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={(o) => set({ offset: o })} />
          </>
        )}
      </Async>
    </>
  );
}
