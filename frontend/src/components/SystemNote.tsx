import { Fragment, type ReactNode } from "react";
import type { components } from "../api/schema";
import { isMessageKey, useI18n, type I18n, type Lang, type MessageKey } from "../i18n";

export type Note = components["schemas"]["SystemNote"];

/** `name` in the reader's language when the note carries it (`campaign_ar`), else as stored. */
function localised(params: NonNullable<Note["params"]>, name: string, lang: Lang): string {
  const own = lang === "fr" ? undefined : params[`${name}_${lang}`];
  return String(own || params[name] || "");
}

/** The i18n key and the values of a sentence the server stored as a key and parameters (API `system_note`). Names,
 * titles and tables are data: `data` lists them, to be isolated from the sentence's direction. */
export function noteParts(note: Note, { lang, date }: Pick<I18n, "lang" | "date">): { key: string; vars: Record<string, string | number>; data: string[] } {
  const p = note.params ?? {};
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  switch (note.key) {
    case "partnership_census":
      return { key: "note.partnership_census", vars: { campaign: localised(p, "campaign", lang) }, data: ["campaign"] };
    case "partnership_matched":
      return { key: "note.partnership_matched", vars: { need: text(p.need) }, data: ["need"] };
    case "relaunch":
      return {
        key: p.status === "ended" ? "note.relaunch.ended" : "note.relaunch.dormant",
        vars: { start: text(p.start) || "?", end: text(p.end) || "?" },
        data: [],
      };
    case "expired":
      return { key: "note.expired", vars: { days: Number(p.days) || 0 }, data: [] };
    case "expired_replaced":
      return { key: "note.expired_replaced", vars: { days: Number(p.days) || 0, french: localised(p, "french", lang) }, data: ["french"] };
    case "meeting_scheduled":
      return {
        key: "note.meeting_scheduled",
        vars: { event: text(p.event), when: date(text(p.starts_at), true, text(p.timezone) || undefined), timezone: text(p.timezone), table: text(p.table) },
        data: ["event", "table"],
      };
    case "meeting_unscheduled":
      return { key: "note.meeting_unscheduled", vars: { event: text(p.event) }, data: ["event"] };
    default:
      return { key: "", vars: {}, data: [] };
  }
}

const MARK = "\u0001";

/** The message `k` in the reader's language, the values named in `data` (names, titles: data people wrote)
 * isolated in `<bdi>` so that they do not take the sentence's punctuation to the wrong side. */
export function Sentence({ k, vars, data }: { k: MessageKey; vars: Record<string, string | number>; data: string[] }) {
  const { t } = useI18n();
  const marked: Record<string, string | number> = { ...vars };
  data.forEach((name, i) => {
    marked[name] = `${MARK}${i}${MARK}`;
  });
  const pieces = t(k, marked).split(MARK);
  const out: ReactNode[] = pieces.map((piece, i) =>
    i % 2 === 1 ? (
      <bdi key={i} dir="auto">
        {vars[data[Number(piece)]]}
      </bdi>
    ) : (
      <Fragment key={i}>{piece}</Fragment>
    ),
  );
  return <>{out}</>;
}

/** A server-written sentence in the reader's language (the API's `text` is in the request's language: unused here),
 * its names and titles isolated (`<bdi>`), as every data text is. */
export function SystemNoteText({ note }: { note: Note | null | undefined }) {
  const i18n = useI18n();
  if (!note) return null;
  const { key, vars, data } = noteParts(note, i18n);
  if (!key || !isMessageKey(key)) return <>{note.text}</>;
  return <Sentence k={key} vars={vars} data={data} />;
}
