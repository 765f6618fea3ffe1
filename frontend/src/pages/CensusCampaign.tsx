import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { BarChart } from "../components/BarChart";
import { CollectivityPicker, collectivityName } from "../components/CollectivityPicker";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, Pagination, toneOf } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useCollectivities } from "../hooks";
import { nameOf, useI18n } from "../i18n";
import { Link, withQuery } from "../router";
import { useQueryState, useTitle } from "./common";
import { GovernorateChecks, GovernorateSelect } from "../components/Governorates";

type Issued = components["schemas"]["InvitationIssued"];
type Row = components["schemas"]["ProgressRow"];
const LIMIT = 25;
const KEYS = ["tab", "governorate", "state", "mail", "status", "offset"] as const;
const MAIL = ["mailed", "queued", "failed", "no_address"] as const;
const MAIL_TONE = { mailed: "good", queued: "muted", failed: "bad", no_address: "warn" } as const;

export default function CensusCampaign({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, date } = useI18n();
  const [f] = useQueryState(KEYS);
  const tab = f.tab === "invitations" || f.tab === "responses" ? f.tab : "progress";
  const campaign = useQuery({
    queryKey: ["census", "CensusCampaign.campaign", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/census/campaigns/{campaign_id}", { params: { path: { campaign_id: id } }, signal })),
  });
  useTitle(campaign.data?.title ?? t("nav.census"));
  const tabs = [
    ["progress", t("census.progress")],
    ["invitations", t("census.invitations")],
    ["responses", t("census.responses")],
  ] as const;
  return (
    <Async state={campaign}>
      {(c) => (
        <>
          <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
            <Link to="/census">{t("nav.census")}</Link>
          </nav>
          <PageHeader title={c.title}>
            <p className="muted">
              <Badge tone={c.is_open ? "good" : "muted"}>{c.is_open ? t("census.open") : t("census.closed")}</Badge>{" "}
              {t("census.closesOn", { date: date(c.closes_at, true, c.timezone) })} ({c.timezone})
            </p>
            {[c.title_en, c.title_ar].some(Boolean) && (
              <ul className="plain muted">
                {c.title_en && <li lang="en">{c.title_en}</li>}
                {c.title_ar && (
                  <li lang="ar" dir="rtl">
                    {c.title_ar}
                  </li>
                )}
              </ul>
            )}
          </PageHeader>
          <nav className="tabs" aria-label={c.title}>
            <ul>
              {tabs.map(([key, label]) => (
                <li key={key}>
                  <Link to={withQuery(`/census/campaigns/${id}`, { tab: key === "progress" ? null : key })} aria-current={tab === key ? "page" : undefined}>
                    {label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          {tab === "progress" && <Progress id={id} />}
          {tab === "invitations" && <Invitations id={id} />}
          {tab === "responses" && <Responses id={id} />}
        </>
      )}
    </Async>
  );
}

export function useCampaignProgress(id: string | undefined) {
  return useQuery({
    queryKey: ["census", "CensusCampaign.q1", id],
    queryFn: async ({ signal }) =>
      id ? unwrap(api.GET("/api/v1/census/campaigns/{campaign_id}/progress", { params: { path: { campaign_id: id } }, signal })) : null,
  });
}

function Progress({ id }: { id: string }) {
  const { t, num, lang } = useI18n();
  const progress = useCampaignProgress(id);
  const label = (r: Row) => (r.governorate ? nameOf({ name_fr: r.name_fr ?? r.governorate, name_en: r.name_en ?? "", name_ar: r.name_ar ?? "" }, lang) : t("census.noGovernorate"));
  return (
    <Async state={progress}>
      {(p) =>
        p && (
          <>
            <ul className="tiles">
              {(["invited", "opened", "submitted", "validated"] as const).map((k) => (
                <li key={k}>
                  <div className="tile">
                    <span className="tile-value">{num(p.total[k] ?? 0)}</span>
                    <span className="tile-label">{t(`census.state.${k}`)}</span>
                  </div>
                </li>
              ))}
            </ul>
            <div className="grid-2">
              <section className="card">
                <BarChart
                  title={t("census.submittedByGovernorate")}
                  bars={p.by_governorate.map((r) => ({ key: r.governorate ?? "none", label: label(r), value: r.submitted ?? 0 }))}
                />
              </section>
              <section className="card">
                <div className="table-wrap">
                  <table className="table">
                    <caption className="visually-hidden">{t("census.progress")}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t("field.governorate")}</th>
                        <th scope="col" className="num">{t("census.state.invited")}</th>
                        <th scope="col" className="num">{t("census.state.opened")}</th>
                        <th scope="col" className="num">{t("census.state.submitted")}</th>
                        <th scope="col" className="num">{t("census.state.validated")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {p.by_governorate.map((r) => (
                        <tr key={r.governorate ?? "none"}>
                          <th scope="row">{label(r)}</th>
                          <td className="num">{num(r.invited ?? 0)}</td>
                          <td className="num">{num(r.opened ?? 0)}</td>
                          <td className="num">{num(r.submitted ?? 0)}</td>
                          <td className="num">{num(r.validated ?? 0)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
            </div>
          </>
        )
      }
    </Async>
  );
}

function Invitations({ id }: { id: string }) {
  const { t, lang, date } = useI18n();
  const [f, set] = useQueryState(KEYS);
  const offset = Number(f.offset) || 0;
  const [issued, setIssued] = useState<Issued[]>([]);
  const [error, setError] = useState<unknown>(null);
  const list = useQuery({
    queryKey: ["census", "CensusCampaign.list", id, f.governorate, f.state, f.mail, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/census/campaigns/{campaign_id}/invitations", {
          params: {
            path: { campaign_id: id },
            query: {
              governorate: f.governorate || undefined,
              state: (f.state || undefined) as never,
              mail: (f.mail || undefined) as never,
              limit: LIMIT,
              offset,
            },
          },
          signal,
        }),
      ),
  });
  const names = useCollectivities((list.data?.items ?? []).map((i) => i.collectivity_id).concat(issued.map((i) => i.collectivity_id)));
  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
      void list.refetch();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <Invite
        id={id}
        onIssued={(items) => {
          setIssued(items);
          void list.refetch();
        }}
      />
      {issued.length > 0 && (
        <section className="alert alert-success" role="status" aria-labelledby="issued-title">
          <p className="alert-title" id="issued-title">
            {t("census.linksOnce", { n: issued.length })}
          </p>
          <ul className="issued">
            {issued.map((i) => (
              <li key={i.id}>
                <strong><Bdi>{collectivityName(names[i.collectivity_id], lang)}</Bdi></strong>{" "}
                <input readOnly value={i.url} aria-label={t("census.linkFor", { name: collectivityName(names[i.collectivity_id], lang) })} onFocus={(e) => e.target.select()} dir="ltr" />{" "}
                <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(i.url)}>
                  {t("action.copy")}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <ErrorBox error={error} />
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t("dir.filters")}>
        <Field label={t("field.governorate")}>
          {(p) => <GovernorateSelect id={p.id} value={f.governorate} onChange={(code) => set({ governorate: code })} allLabel={t("filter.all")} />}
        </Field>
        <Field label={t("field.status")}>
          {(p) => (
            <EnumSelect {...p} value={f.state} values={(["pending", "submitted", "revoked"] as const)} label={(s) => t(`census.inv.${s}`)} onChange={(v) => set({ state: v })} />
          )}
        </Field>
        <Field label={t("census.mail")}>
          {(p) => (
            <EnumSelect {...p} value={f.mail} values={MAIL} label={(m) => t(`census.mail.${m}`)} onChange={(v) => set({ mail: v, offset: null })} />
          )}
        </Field>
      </form>
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("census.noInvitations")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.collectivity")}</th>
                    <th scope="col">{t("census.invitedOn")}</th>
                    <th scope="col">{t("census.mail")}</th>
                    <th scope="col">{t("census.state.opened")}</th>
                    <th scope="col">{t("census.state.submitted")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((i) => (
                    <tr key={i.id} className={i.revoked_at ? "row-muted" : undefined}>
                      <td>
                        <Link to={`/collectivities/${i.collectivity_id}`}><Bdi>{collectivityName(names[i.collectivity_id], lang)}</Bdi></Link>
                        {i.revoked_at && (
                          <>
                            {" "}
                            <Badge tone="muted">{t("census.inv.revoked")}</Badge>
                          </>
                        )}
                      </td>
                      <td>{date(i.created_at)}</td>
                      <td>
                        <Badge tone={MAIL_TONE[i.mail.status]}>{t(`census.mail.${i.mail.status}`)}</Badge>
                        {i.mail.failed > 0 && i.mail.status !== "failed" && <small className="muted"> {t("census.mail.someFailed", { n: i.mail.failed })}</small>}
                      </td>
                      <td>{i.opened_at ? date(i.opened_at, true) : "—"}</td>
                      <td>{i.submitted_at ? date(i.submitted_at, true) : "—"}</td>
                      <td className="actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            act(async () => {
                              const r = await unwrap(
                                api.POST("/api/v1/census/campaigns/{campaign_id}/invitations/{invitation_id}/token", {
                                  params: { path: { campaign_id: id, invitation_id: i.id } },
                                }),
                              );
                              setIssued([r]);
                            })
                          }
                        >
                          {t("census.newLink")}
                        </button>
                        {!i.revoked_at && (
                          <button
                            type="button"
                            className="btn btn-small btn-danger"
                            onClick={() =>
                              window.confirm(t("census.confirmRevoke")) &&
                              act(async () => {
                                await unwrap(
                                  api.POST("/api/v1/census/campaigns/{campaign_id}/invitations/{invitation_id}/revoke", {
                                    params: { path: { campaign_id: id, invitation_id: i.id } },
                                  }),
                                );
                              })
                            }
                          >
                            {t("census.revoke")}
                          </button>
                        )}
                      </td>
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

function Invite({ id, onIssued }: { id: string; onIssued: (items: Issued[]) => void }) {
  const { t } = useI18n();
  const [chosenGovs, setChosenGovs] = useState<string[]>([]);
  const [one, setOne] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const r = await unwrap(
        api.POST("/api/v1/census/campaigns/{campaign_id}/invitations", {
          params: { path: { campaign_id: id } },
          body: { collectivity_ids: one ? [one] : [], governorates: chosenGovs },
        }),
      );
      setNote(t("census.invited", { n: r.created, already: r.already_invited.length }));
      setChosenGovs([]);
      setOne(null);
      onIssued(r.items);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card">
      <summary>{t("census.invite")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={error} />
        {note && (
          <p className="alert alert-success" role="status">
            {note}
          </p>
        )}
        <GovernorateChecks legend={t("census.inviteGovernorates")} value={chosenGovs} onChange={setChosenGovs} />
        <Field label={t("census.inviteOne")}>{(p) => <CollectivityPicker id={p.id} country="LB" value={one} onChange={(cid) => setOne(cid)} />}</Field>
        <button type="submit" className="btn btn-primary" disabled={busy || (!one && chosenGovs.length === 0)}>
          {t("census.sendInvitations")}
        </button>
      </form>
    </details>
  );
}

function Responses({ id }: { id: string }) {
  const { t, tv, lang, date } = useI18n();
  const [f, set] = useQueryState(KEYS);
  const offset = Number(f.offset) || 0;
  const status = f.status || "submitted";
  const list = useQuery({
    queryKey: ["census", "CensusCampaign.list", id, status, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/census/responses", {
          params: { query: { campaign_id: id, status: status as never, limit: LIMIT, offset, sort: "-submitted_at" } },
          signal,
        }),
      ),
  });
  const names = useCollectivities((list.data?.items ?? []).map((r) => r.collectivity_id));
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t("dir.filters")}>
        <Field label={t("field.status")}>
          {(p) => (
            <select {...p} value={status} onChange={(e) => set({ status: e.target.value })}>
              {(["submitted", "validated", "rejected"] as const).map((s) => (
                <option key={s} value={s}>
                  {tv("responseStatus", s)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("census.noResponses")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.collectivity")}</th>
                    <th scope="col">{t("census.contact")}</th>
                    <th scope="col">{t("census.needsCount")}</th>
                    <th scope="col">{t("census.submittedOn")}</th>
                    <th scope="col">{t("field.status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link to={`/census/responses/${r.id}`}><Bdi>{collectivityName(names[r.collectivity_id], lang)}</Bdi></Link>
                      </td>
                      <td><Bdi>{r.contact.full_name}</Bdi></td>
                      <td className="num">{r.need_ids.length}</td>
                      <td>{date(r.submitted_at, true)}</td>
                      <td>
                        <Badge tone={toneOf(r.status)}>{tv("responseStatus", r.status)}</Badge>
                      </td>
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
