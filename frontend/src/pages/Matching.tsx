import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { GovernorateSelect } from "../components/Governorates";
import { TagSelect } from "../components/TagPicker";
import { Async, ErrorBox, Field, PageHeader } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useCollectivities, useNeeds } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { useQueryState, useTitle } from "./common";
import { BOARD, ProposalCard } from "./ProposalCard";

type MatchStatus = components["schemas"]["MatchStatus"];
type Run = components["schemas"]["MatchRunPublic"];
const CLOSED: MatchStatus[] = ["declined", "rejected", "expired"];
export const FACTORS = ["theme", "history", "scale", "capacity", "preferences"] as const;
const DEFAULT_WEIGHTS: Record<(typeof FACTORS)[number], number> = { theme: 5, history: 2, scale: 1, capacity: 1, preferences: 1 };
const PER_COLUMN = 50;
const MIN_SCORES = [30, 50, 70, 85];

/** The matching board: run the matcher with weights, then move proposals through their statuses. */
export default function Matching() {
  const { t, tv, num, lang } = useI18n();
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
          {f.collectivity_id && t("match.onlyCollectivity", { name: collectivityName(scope[f.collectivity_id], lang) })}{" "}
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
