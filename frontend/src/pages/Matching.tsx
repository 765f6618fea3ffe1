import { useState, type FormEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { Async, Badge, ErrorBox, Field, PageHeader } from "../components/ui";
import { useAsync, useCollectivities, useNeeds, type Collectivity } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { Link } from "../router";
import { useQueryState, useTitle } from "./common";

type Match = components["schemas"]["MatchPublic"];
type MatchStatus = components["schemas"]["MatchStatus"];
type Run = components["schemas"]["MatchRunPublic"];
export const BOARD: MatchStatus[] = ["proposed", "shortlisted", "contacted", "accepted", "meeting_scheduled", "partnership_formed"];
const CLOSED: MatchStatus[] = ["declined", "rejected", "expired"];
export const FACTORS = ["theme", "history", "scale", "capacity", "preferences"] as const;
const DEFAULT_WEIGHTS: Record<(typeof FACTORS)[number], number> = { theme: 5, history: 2, scale: 1, capacity: 1, preferences: 1 };
const PER_COLUMN = 50;

/** The matching board: run the matcher with weights, then move proposals through their statuses. */
export default function Matching() {
  const { t, num } = useI18n();
  const { me } = useAuth();
  useTitle(t("nav.matching"));
  const [f, set] = useQueryState(["need_id", "collectivity_id", "kind", "closed"] as const);
  const [lastRun, setLastRun] = useState<Run | null>(null);
  const board = useAsync(
    async (signal) => {
      const statuses = f.closed ? CLOSED : BOARD;
      const pages = await Promise.all(
        statuses.map((status) =>
          unwrap(
            api.GET("/api/v1/matches", {
              params: {
                query: {
                  status,
                  need_id: f.need_id || undefined,
                  collectivity_id: f.collectivity_id || undefined,
                  kind: (f.kind || undefined) as never,
                  limit: PER_COLUMN,
                },
              },
              signal,
            }),
          ),
        ),
      );
      return statuses.map((status, i) => ({ status, items: pages[i].items, total: pages[i].total }));
    },
    [f.need_id, f.collectivity_id, f.kind, f.closed],
  );
  const all = (board.data ?? []).flatMap((c) => c.items);
  const names = useCollectivities(all.flatMap((m) => [m.lebanese_collectivity_id, ...m.french_collectivity_ids]));
  const needs = useNeeds(all.map((m) => m.need_id));
  const scope = useCollectivities([f.collectivity_id]);
  const scopeNeed = useNeeds([f.need_id]);

  return (
    <>
      <PageHeader title={t("nav.matching")}>
        <p className="muted">{t("match.intro")}</p>
      </PageHeader>
      {isStaff(me) && (
        <RunForm
          onDone={(run) => {
            setLastRun(run);
            board.reload();
          }}
        />
      )}
      {lastRun && (
        <p className="alert alert-success" role="status">
          {t("match.runDone", {
            proposals: num(lastRun.proposal_count),
            needs: num(lastRun.need_count),
            unfilled: num(lastRun.unfilled_need_count),
            ms: num(lastRun.duration_ms),
          })}
        </p>
      )}
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t("dir.filters")}>
        <Field label={t("match.kind")}>
          {(p) => (
            <select {...p} value={f.kind} onChange={(e) => set({ kind: e.target.value })}>
              <option value="">{t("filter.all")}</option>
              <option value="new">{t("matchKind.new")}</option>
              <option value="relaunch">{t("matchKind.relaunch")}</option>
            </select>
          )}
        </Field>
        <Field label={t("match.columns")}>
          {(p) => (
            <select {...p} value={f.closed ? "closed" : ""} onChange={(e) => set({ closed: e.target.value ? "1" : null })}>
              <option value="">{t("match.inProgress")}</option>
              <option value="closed">{t("match.closed")}</option>
            </select>
          )}
        </Field>
      </form>
      {(f.need_id || f.collectivity_id) && (
        <p className="alert alert-info">
          {f.need_id && t("match.onlyNeed", { title: scopeNeed[f.need_id]?.title ?? "…" })}
          {f.collectivity_id && t("match.onlyCollectivity", { name: collectivityName(scope[f.collectivity_id], "fr") })}{" "}
          <button type="button" className="btn btn-small" onClick={() => set({ need_id: null, collectivity_id: null })}>
            {t("match.showAll")}
          </button>
        </p>
      )}
      <Async state={board}>
        {(columns) => (
          <div className="board" tabIndex={0} role="region" aria-label={t("match.board")}>
            {columns.map((col) => (
              <section key={col.status} className="board-col" aria-labelledby={`col-${col.status}`}>
                <h2 id={`col-${col.status}`}>
                  {t(`matchStatus.${col.status}` as MessageKey)} <span className="count">{num(col.total)}</span>
                </h2>
                {col.items.length === 0 ? (
                  <p className="empty small">{t("match.emptyColumn")}</p>
                ) : (
                  <ul>
                    {col.items.map((m) => (
                      <li key={m.id}>
                        <ProposalCard m={m} names={names} needTitle={needs[m.need_id]?.title} onChanged={board.reload} />
                      </li>
                    ))}
                  </ul>
                )}
                {col.total > col.items.length && <p className="muted small">{t("match.more", { n: num(col.total - col.items.length) })}</p>}
              </section>
            ))}
          </div>
        )}
      </Async>
    </>
  );
}

function RunForm({ onDone }: { onDone: (run: Run) => void }) {
  const { t } = useI18n();
  const [weights, setWeights] = useState(DEFAULT_WEIGHTS);
  const [topK, setTopK] = useState(5);
  const [maxPer, setMaxPer] = useState(3);
  const [includeDeclined, setIncludeDeclined] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await unwrap(
        api.POST("/api/v1/matches/runs", {
          body: { weights, top_k: topK, max_per_french_collectivity: maxPer, include_declined: includeDeclined },
        }),
      );
      onDone(run);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card">
      <summary>{t("match.run")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={error} />
        <fieldset>
          <legend>{t("match.weights")}</legend>
          <p className="hint">{t("match.weightsHint")}</p>
          <div className="row">
            {FACTORS.map((factor) => (
              <Field key={factor} label={t(`factor.${factor}` as MessageKey)}>
                {(p) => (
                  <div className="slider">
                    <input
                      {...p}
                      type="range"
                      min={0}
                      max={10}
                      step={1}
                      value={weights[factor]}
                      onChange={(e) => setWeights((w) => ({ ...w, [factor]: Number(e.target.value) }))}
                    />
                    <output htmlFor={p.id}>{weights[factor]}</output>
                  </div>
                )}
              </Field>
            ))}
          </div>
        </fieldset>
        <div className="row">
          <Field label={t("match.topK")}>
            {(p) => <input {...p} type="number" min={1} max={20} value={topK} onChange={(e) => setTopK(Number(e.target.value) || 1)} />}
          </Field>
          <Field label={t("match.maxPer")}>
            {(p) => <input {...p} type="number" min={1} max={50} value={maxPer} onChange={(e) => setMaxPer(Number(e.target.value) || 1)} />}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" checked={includeDeclined} onChange={(e) => setIncludeDeclined(e.target.checked)} /> {t("match.includeDeclined")}
        </label>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || Object.values(weights).every((w) => w === 0)}>
            {busy ? t("state.working") : t("match.runButton")}
          </button>
        </div>
      </form>
    </details>
  );
}

export function ProposalCard({
  m,
  names,
  needTitle,
  onChanged,
}: {
  m: Match;
  names: Record<string, Collectivity | null>;
  needTitle: string | undefined;
  onChanged: () => void;
}) {
  const { t, tv, lang, num, date } = useI18n();
  const { me } = useAuth();
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState<MatchStatus | "">("");
  const [note, setNote] = useState("");
  const [when, setWhen] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const allowed = m.allowed_transitions.filter(
    (s) => isStaff(me) || s === "accepted" || s === "declined",
  );
  const move = async (e: FormEvent) => {
    e.preventDefault();
    if (!to) return;
    setBusy(true);
    setError(null);
    try {
      const current = await api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: m.id } } });
      const etag = etagOf(current.response);
      const fullNote = to === "meeting_scheduled" && when ? `${t("match.meetingOn", { when: date(when, true) })}${note ? ` — ${note}` : ""}` : note;
      await unwrap(
        api.POST("/api/v1/matches/{match_id}/transitions", {
          params: { path: { match_id: m.id }, header: { "if-match": etag } as never },
          body: { to, note: fullNote },
        }),
      );
      setTo("");
      setNote("");
      setWhen("");
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const weightSum = m.reasons.reduce((sum, r) => sum + r.weight, 0) || 1;
  const reasonLabel = (r: components["schemas"]["Reason"]) => (lang === "ar" ? r.label_ar : lang === "en" ? r.label_en : r.label_fr);
  const french = m.french_collectivity_ids.map((id) => collectivityName(names[id], lang)).join(" + ");
  return (
    <article className="proposal" aria-label={`${collectivityName(names[m.lebanese_collectivity_id], lang)} ↔ ${french}`}>
      <p className="proposal-need">
        <Link to={`/needs/${m.need_id}`}>{needTitle ?? "…"}</Link>
      </p>
      <p>
        <Link to={`/collectivities/${m.lebanese_collectivity_id}`}>{collectivityName(names[m.lebanese_collectivity_id], lang)}</Link> ↔{" "}
        {m.french_collectivity_ids.map((id, i) => (
          <span key={id}>
            {i > 0 && " + "}
            <Link to={`/collectivities/${id}`}>{collectivityName(names[id], lang)}</Link>
          </span>
        ))}
      </p>
      <p className="proposal-meta">
        <span className="score" title={t("match.score")}>
          {num(Math.round(m.score * 100))} %
        </span>{" "}
        <span className="muted">#{m.rank}</span> {m.kind === "relaunch" && <Badge tone="warn">{t("matchKind.relaunch")}</Badge>}{" "}
        {m.pooled && <Badge>{t("match.pool")}</Badge>}
      </p>
      <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? t("match.hide") : t("match.details")}
      </button>
      {open && (
        <div className="proposal-details">
          <table className="table reasons">
            <caption>{t("match.why")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("match.factor")}</th>
                <th scope="col" className="num">{t("match.value")}</th>
                <th scope="col" className="num">{t("match.weight")}</th>
              </tr>
            </thead>
            <tbody>
              {m.reasons.map((r) => (
                <tr key={r.factor}>
                  <th scope="row">
                    {t(`factor.${r.factor}` as MessageKey)}
                    <br />
                    <small className="muted">{reasonLabel(r)}</small>
                  </th>
                  <td className="num">
                    <meter min={0} max={1} value={r.value} aria-hidden="true" /> {num(Math.round(r.value * 100))} %
                  </td>
                  <td className="num">{num(Math.round((r.weight / weightSum) * 100))} %</td>
                </tr>
              ))}
            </tbody>
          </table>
          {m.history.length > 0 && (
            <>
              <h3>{t("match.history")}</h3>
              <ol className="history">
                {m.history.map((h, i) => (
                  <li key={i}>
                    {tv("matchStatus", h.from)} → {tv("matchStatus", h.to)} · {h.by} · {date(h.at, true)}
                    {h.note && <p className="prose small">{h.note}</p>}
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
      )}
      {allowed.length > 0 && (
        <form className="proposal-move" onSubmit={move}>
          <ErrorBox error={error} />
          <Field label={t("match.moveTo")}>
            {(p) => (
              <select {...p} value={to} onChange={(e) => setTo(e.target.value as MatchStatus)}>
                <option value="">—</option>
                {allowed.map((s) => (
                  <option key={s} value={s}>
                    {tv("matchStatus", s)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {to === "meeting_scheduled" && (
            <Field label={t("match.meetingWhen")}>{(p) => <input {...p} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />}</Field>
          )}
          {to && (
            <Field label={t("match.note")}>{(p) => <textarea {...p} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}</Field>
          )}
          {to && (
            <button type="submit" className="btn btn-primary btn-small" disabled={busy || (to === "meeting_scheduled" && !when)}>
              {t("match.confirmMove")}
            </button>
          )}
        </form>
      )}
    </article>
  );
}
