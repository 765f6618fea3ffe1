import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { Badge, Bdi, ErrorBox, Field } from "../components/ui";
import { SystemNoteText } from "../components/SystemNote";
import type { Collectivity } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { Link } from "../router";

type Match = components["schemas"]["MatchPublic"];
type MatchStatus = components["schemas"]["MatchStatus"];
type Reason = components["schemas"]["Reason"];

/** The board's columns, in order (a card moves to the next or previous one with the arrow keys). */
export const BOARD: MatchStatus[] = [
  "proposed",
  "shortlisted",
  "contacted",
  "accepted",
  "meeting_scheduled",
  "partnership_formed",
];

/** Move a proposal to another status (with the ETag just read, so a concurrent move is refused, not overwritten). */
async function transition(id: string, to: MatchStatus, note: string): Promise<void> {
  const current = await api.GET("/api/v1/matches/{match_id}", { params: { path: { match_id: id } } });
  await unwrap(
    api.POST("/api/v1/matches/{match_id}/transitions", {
      params: { path: { match_id: id }, header: { "if-match": etagOf(current.response) } as never },
      body: { to, note },
    }),
  );
}

/** One proposal: who with whom for which need, its score, why, its history, and the moves the person may make. */
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
  const { t, lang, dir } = useI18n();
  const self = useRef<HTMLElement>(null);
  const [keyNote, setKeyNote] = useState("");
  useEffect(() => {
    if (focus) self.current?.focus();
  }, [focus]);
  const { me } = useAuth();
  const [open, setOpen] = useState(expanded);
  // A keyboard move to "meeting scheduled" opens the form on it (that move asks for a date).
  const [asked, setAsked] = useState<MatchStatus | "">("");
  const allowed = m.allowed_transitions.filter((s) => isStaff(me) || s === "accepted" || s === "declined");
  const keyMove = useMutation({
    mutationFn: (target: MatchStatus) => transition(m.id, target, ""),
    onSuccess: (_, target) => onMoved?.(target),
  });
  const formMove = useMutation({
    mutationFn: ({ to, note }: { to: MatchStatus; note: string }) => transition(m.id, to, note),
    onSuccess: onChanged,
  });
  const busy = keyMove.isPending || formMove.isPending;

  // Arrow keys on the card itself: the neighbouring column in reading order (mirrored in Arabic).
  const onKey = (e: KeyboardEvent<HTMLElement>) => {
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
    if (target === "meeting_scheduled") setAsked(target);
    else {
      formMove.reset();
      keyMove.mutate(target);
    }
  };
  const french = m.french_collectivity_ids.map((id) => collectivityName(names[id], lang)).join(" + ");
  return (
    <article
      ref={self}
      className="proposal"
      aria-label={`${collectivityName(names[m.lebanese_collectivity_id], lang)} ↔ ${french}`}
      tabIndex={onMoved ? 0 : undefined}
      aria-describedby={onMoved ? "board-keys" : undefined}
      aria-busy={busy || undefined}
      onKeyDown={onMoved ? onKey : undefined}
    >
      <ProposalParties m={m} names={names} needTitle={needTitle} />
      <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? t("match.hide") : t("match.details")}
      </button>
      {open && <ProposalDetails m={m} />}
      {keyNote && (
        <p className="hint" role="status">
          {keyNote}
        </p>
      )}
      {allowed.length > 0 && (
        <MoveForm
          key={asked}
          allowed={allowed}
          initial={asked}
          busy={busy}
          error={keyMove.error ?? formMove.error}
          onMove={(to, note) => {
            keyMove.reset();
            return formMove.mutateAsync({ to, note });
          }}
        />
      )}
    </article>
  );
}

/** The need, the two sides (links), the score and rank. */
function ProposalParties({
  m,
  names,
  needTitle,
}: {
  m: Match;
  names: Record<string, Collectivity | null>;
  needTitle: string | undefined;
}) {
  const { t, lang, num } = useI18n();
  const party = (id: string) => (
    <Link to={`/collectivities/${id}`}>
      <Bdi>{collectivityName(names[id], lang)}</Bdi>
    </Link>
  );
  return (
    <>
      <p className="proposal-need">
        <Link to={`/needs/${m.need_id}`}>{needTitle ?? "…"}</Link>
      </p>
      <p>
        {party(m.lebanese_collectivity_id)} ↔{" "}
        {m.french_collectivity_ids.map((id, i) => (
          <span key={id}>
            {i > 0 && " + "}
            {party(id)}
          </span>
        ))}
      </p>
      <p className="proposal-meta">
        <span className="score" title={t("match.score")}>
          {num(Math.round(m.score * 100))} %
        </span>{" "}
        <span className="muted">#{m.rank}</span>{" "}
        {m.kind === "relaunch" && <Badge tone="warn">{t("matchKind.relaunch")}</Badge>}{" "}
        {m.pooled && <Badge>{t("match.pool")}</Badge>}
      </p>
    </>
  );
}

/** Why (each factor's value and share of the score) and the history of moves. */
function ProposalDetails({ m }: { m: Match }) {
  const { t, tv, lang, num, date } = useI18n();
  const weightSum = m.reasons.reduce((sum, r) => sum + r.weight, 0) || 1;
  const reasonLabel = (r: Reason) => (lang === "ar" ? r.label_ar : lang === "en" ? r.label_en : r.label_fr);
  return (
    <div className="proposal-details">
      <table className="table reasons">
        <caption>{t("match.why")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("match.factor")}</th>
            <th scope="col" className="num">
              {t("match.value")}
            </th>
            <th scope="col" className="num">
              {t("match.weight")}
            </th>
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
                {h.system_note && (
                  <p className="small">
                    <SystemNoteText note={h.system_note} />
                  </p>
                )}
                {h.note && (
                  <p className="prose small" dir="auto">
                    {h.note}
                  </p>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

/** Choose the next status (a meeting asks for its date), with a note. */
function MoveForm({
  allowed,
  initial,
  busy,
  error,
  onMove,
}: {
  allowed: MatchStatus[];
  initial: MatchStatus | "";
  busy: boolean;
  error: unknown;
  onMove: (to: MatchStatus, note: string) => Promise<void>;
}) {
  const { t, tv, date } = useI18n();
  const [to, setTo] = useState<MatchStatus | "">(initial);
  const [note, setNote] = useState("");
  const [when, setWhen] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!to) return;
    const meeting = to === "meeting_scheduled" && when ? t("match.meetingOn", { when: date(when, true) }) : "";
    const fullNote = meeting ? `${meeting}${note ? ` — ${note}` : ""}` : note;
    onMove(to, fullNote).then(
      () => {
        setTo("");
        setNote("");
        setWhen("");
      },
      () => undefined, // shown by the card (ErrorBox)
    );
  };
  return (
    <form className="proposal-move" onSubmit={submit}>
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
        <Field label={t("match.meetingWhen")}>
          {(p) => <input {...p} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />}
        </Field>
      )}
      {to && (
        <Field label={t("match.note")}>
          {(p) => <textarea {...p} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
        </Field>
      )}
      {to && (
        <button type="submit" className="btn btn-primary btn-small" disabled={busy || (to === "meeting_scheduled" && !when)}>
          {t("match.confirmMove")}
        </button>
      )}
    </form>
  );
}
