import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { GovernorateSelect } from "../components/Governorates";
import { TagSelect } from "../components/TagPicker";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useCollectivities, useNeeds, type Collectivity } from "../hooks";
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
const MIN_SCORES = [30, 50, 70, 85];

/** The matching board: run the matcher with weights, then move proposals through their statuses. */
export default function Matching() {
  const { t, tv, num } = useI18n();
  const { me } = useAuth();
  useTitle(t("nav.matching"));
  const [f, set] = useQueryState(["need_id", "collectivity_id", "kind", "closed", "governorate", "tag", "min_score"] as const);
  const [lastRun, setLastRun] = useState<Run | null>(null);
  // A card moved with the keyboard keeps the focus in its new column, and the move is announced.
  const [moved, setMoved] = useState<{ id: string; to: MatchStatus } | null>(null);
  const minScore = MIN_SCORES.includes(Number(f.min_score)) ? Number(f.min_score) : null;
  const board = useQuery({
    queryKey: ["matches", "Matching.board", f.need_id, f.collectivity_id, f.kind, f.closed, f.governorate, f.tag, minScore],
    queryFn: async ({ signal }) => {
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
                  governorate: f.governorate || undefined,
                  tag: f.tag || undefined,
                  min_score: minScore === null ? undefined : minScore / 100,
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
  });
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
            void board.refetch();
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
            <EnumSelect {...p} value={f.kind} values={["new", "relaunch"] as const} label={(k) => tv("matchKind", k)} onChange={(v) => set({ kind: v })} />
          )}
        </Field>
        <Field label={t("field.governorate")}>
          {(p) => <GovernorateSelect id={p.id} value={f.governorate} onChange={(code) => set({ governorate: code || null })} allLabel={t("filter.all")} />}
        </Field>
        <Field label={t("field.theme")}>
          {(p) => <TagSelect id={p.id} value={f.tag} onChange={(slug) => set({ tag: slug || null })} allLabel={t("filter.all")} />}
        </Field>
        <Field label={t("match.minScore")}>
          {(p) => (
            <EnumSelect {...p} value={minScore ?? ""} values={MIN_SCORES} label={(v) => t("match.atLeast", { n: num(v) })} onChange={(v) => set({ min_score: v || null })} />
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
      <p className="hint" id="board-keys">
        {t("match.keysHint")}
      </p>
      <p className="visually-hidden" role="status">
        {moved && t("match.movedTo", { status: tv("matchStatus", moved.to) })}
      </p>
      <Async state={board}>
        {(columns) => (
          <div className="board" role="region" aria-label={t("match.board")}>
            {columns.map((col) => (
              <section key={col.status} className="board-col" aria-labelledby={`col-${col.status}`}>
                <h2 id={`col-${col.status}`}>
                  {t(`matchStatus.${col.status}` as MessageKey)} <span className="count">{num(col.total)}</span>
                </h2>
                {col.items.length === 0 ? (
                  <p className="empty small">{t("match.emptyColumn")}</p>
                ) : (
                  // Each column scrolls on its own, so every column stays on screen.
                  <ul className="board-cards" tabIndex={0} aria-label={t(`matchStatus.${col.status}` as MessageKey)}>
                    {col.items.map((m) => (
                      <li key={m.id}>
                        <ProposalCard
                          m={m}
                          names={names}
                          needTitle={needs[m.need_id]?.title}
                          onChanged={() => void board.refetch()}
                          focus={moved?.id === m.id}
                          onMoved={(to) => {
                            setMoved({ id: m.id, to });
                            void board.refetch();
                          }}
                        />
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
  focus = false,
  onMoved,
  expanded = false,
}: {
  m: Match;
  names: Record<string, Collectivity | null>;
  needTitle: string | undefined;
  onChanged: () => void;
  /** Take the focus (after a keyboard move put the card in another column). */
  focus?: boolean;
  /** Given: the card moves to the next or previous column with the arrow keys. */
  onMoved?: (to: MatchStatus) => void;
  /** Show the reasons and history from the start (the proposal's own page). */
  expanded?: boolean;
}) {
  const { t, tv, lang, dir, num, date } = useI18n();
  const self = useRef<HTMLElement>(null);
  const [keyNote, setKeyNote] = useState("");
  useEffect(() => {
    if (focus) self.current?.focus();
  }, [focus]);
  const { me } = useAuth();
  const [open, setOpen] = useState(expanded);
  const [to, setTo] = useState<MatchStatus | "">("");
  const [note, setNote] = useState("");
  const [when, setWhen] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const allowed = m.allowed_transitions.filter(
    (s) => isStaff(me) || s === "accepted" || s === "declined",
  );
  const transition = async (target: MatchStatus, fullNote: string) => {
    const current = await api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: m.id } } });
    await unwrap(
      api.POST("/api/v1/matches/{match_id}/transitions", {
        params: { path: { match_id: m.id }, header: { "if-match": etagOf(current.response) } as never },
        body: { to: target, note: fullNote },
      }),
    );
  };
  // Arrow keys on the card itself: the neighbouring column in reading order (mirrored in Arabic).
  const onKey = async (e: KeyboardEvent<HTMLElement>) => {
    if (!onMoved || e.target !== e.currentTarget || busy || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const forward = (e.key === "ArrowRight") === (dir === "ltr");
    const i = BOARD.indexOf(m.status);
    const target = i < 0 ? undefined : BOARD[i + (forward ? 1 : -1)];
    e.preventDefault();
    if (!target || !allowed.includes(target)) {
      setKeyNote(t("match.cannotMove"));
      return;
    }
    setKeyNote("");
    if (target === "meeting_scheduled") {
      // That move asks for a date: open the form on it.
      setTo(target);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await transition(target, "");
      onMoved(target);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const move = async (e: FormEvent) => {
    e.preventDefault();
    if (!to) return;
    setBusy(true);
    setError(null);
    try {
      const fullNote = to === "meeting_scheduled" && when ? `${t("match.meetingOn", { when: date(when, true) })}${note ? ` — ${note}` : ""}` : note;
      await transition(to, fullNote);
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
    <article
      ref={self}
      className="proposal"
      aria-label={`${collectivityName(names[m.lebanese_collectivity_id], lang)} ↔ ${french}`}
      tabIndex={onMoved ? 0 : undefined}
      aria-describedby={onMoved ? "board-keys" : undefined}
      aria-busy={busy || undefined}
      onKeyDown={onMoved ? (e) => void onKey(e) : undefined}
    >
      <p className="proposal-need">
        <Link to={`/needs/${m.need_id}`}>{needTitle ?? "…"}</Link>
      </p>
      <p>
        <Link to={`/collectivities/${m.lebanese_collectivity_id}`}><Bdi>{collectivityName(names[m.lebanese_collectivity_id], lang)}</Bdi></Link> ↔{" "}
        {m.french_collectivity_ids.map((id, i) => (
          <span key={id}>
            {i > 0 && " + "}
            <Link to={`/collectivities/${id}`}><Bdi>{collectivityName(names[id], lang)}</Bdi></Link>
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
                    {h.note && <p className="prose small" dir="auto">{h.note}</p>}
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
      )}
      {keyNote && (
        <p className="hint" role="status">
          {keyNote}
        </p>
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
