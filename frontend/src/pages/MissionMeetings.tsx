import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { download } from "../api/download";
import type { components } from "../api/schema";
import { CollectivityPicker, collectivityName } from "../components/CollectivityPicker";
import { Bdi, Async, ErrorBox, Field } from "../components/ui";
import { useCollectivities, useNeeds } from "../hooks";
import { useI18n } from "../i18n";
import { Link } from "../router";
import { isoToZoned, zonedToIso } from "../zoned";
import { zoneName } from "./Events";

type Result = components["schemas"]["ScheduleResult"];
type Meeting = components["schemas"]["MeetingPublic"];

/** A field mission's bilateral meetings: availability, automatic schedule, views per table and per collectivity. */
export function MissionMeetings({
  eventId,
  staff,
  timeZone,
  startsAt,
}: {
  eventId: string;
  staff: boolean;
  timeZone: string;
  startsAt?: string;
}) {
  const { t, lang, locale } = useI18n();
  const [view, setView] = useState<"table" | "collectivity">("table");
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const meetings = useQuery({
    queryKey: ["events", "MissionMeetings.meetings", eventId],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/events/{event_id}/meetings", { params: { path: { event_id: eventId } }, signal })),
  });
  const availability = useQuery({
    queryKey: ["events", "MissionMeetings.availability", eventId],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/events/{event_id}/availability", { params: { path: { event_id: eventId } }, signal })),
  });
  const items = meetings.data?.items ?? [];
  const names = useCollectivities([
    ...items.flatMap((m) => m.collectivity_ids),
    ...(availability.data?.items ?? []).map((a) => a.collectivity_id),
    ...(result?.unplaced ?? []).flatMap((u) => u.collectivity_ids),
  ]);
  const needs = useNeeds(items.map((m) => m.need_id));
  const time = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone });
  const fmt = (iso: string) => time.format(new Date(iso));
  const who = (m: Meeting) => m.collectivity_ids.map((id) => collectivityName(names[id], lang)).join(" ↔ ");

  const slots = [...new Set(items.map((m) => m.starts_at))].sort();
  const tables = [...new Set(items.map((m) => m.table_label))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const byCollectivity = new Map<string, Meeting[]>();
  for (const m of items) for (const id of m.collectivity_ids) byCollectivity.set(id, [...(byCollectivity.get(id) ?? []), m]);

  return (
    <section className="card" aria-labelledby="mission-meetings">
      <h2 id="mission-meetings">{t("mission.title")}</h2>
      <ErrorBox error={error} />
      {staff && (
        <Availability
          eventId={eventId}
          timeZone={timeZone}
          startsAt={startsAt}
          onSaved={() => void availability.refetch()}
          onError={setError}
        />
      )}
      <Async state={availability} isEmpty={(d) => d.items.length === 0} empty={t("mission.noAvailability")}>
        {(d) => (
          <details>
            <summary>{t("mission.availabilityCount", { n: d.items.length })}</summary>
            <ul className="list">
              {d.items.map((a) => (
                <li key={a.id}>
                  <strong><Bdi>{collectivityName(names[a.collectivity_id], lang)}</Bdi></strong>:{" "}
                  {a.windows.map((w) => `${fmt(w.starts_at)} – ${fmt(w.ends_at)}`).join(" · ")}
                </li>
              ))}
            </ul>
          </details>
        )}
      </Async>
      {staff && (
        <Schedule
          eventId={eventId}
          onDone={(r) => {
            setResult(r);
            void meetings.refetch();
          }}
          onError={setError}
        />
      )}
      {result && (
        <div className={`alert ${result.unplaced.length ? "alert-info" : "alert-success"}`} role="status">
          <p className="alert-title">{t("mission.placed", { placed: result.placed, slots: result.slots })}</p>
          {result.unplaced.length > 0 && (
            <ul>
              {result.unplaced.map((u) => (
                <li key={u.proposal_id}>
                  {lang === "ar" ? u.label_ar : lang === "en" ? u.label_en : u.label_fr}
                  {u.collectivity_ids.length > 0 && ` (${u.collectivity_ids.map((id) => collectivityName(names[id], lang)).join(", ")})`}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="tabs" role="group" aria-label={t("mission.views")}>
        <ul>
          <li>
            <button type="button" className="tab-button" aria-pressed={view === "table"} onClick={() => setView("table")}>
              {t("mission.byTable")}
            </button>
          </li>
          <li>
            <button type="button" className="tab-button" aria-pressed={view === "collectivity"} onClick={() => setView("collectivity")}>
              {t("mission.byCollectivity")}
            </button>
          </li>
        </ul>
      </div>
      <Async state={meetings} isEmpty={(d) => d.items.length === 0} empty={t("mission.noMeetings")}>
        {() =>
          view === "table" ? (
            <div className="table-wrap" tabIndex={0} role="region" aria-label={t("mission.byTable")}>
              <table className="table schedule">
                <caption className="visually-hidden">{t("mission.byTable")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("mission.slot")}</th>
                    {tables.map((tb) => (
                      <th key={tb} scope="col">
                        {tb}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {slots.map((s) => (
                    <tr key={s}>
                      <th scope="row">{fmt(s)}</th>
                      {tables.map((tb) => {
                        const m = items.find((x) => x.starts_at === s && x.table_label === tb);
                        return (
                          <td key={tb}>
                            {m && (
                              <>
                                <strong>{who(m)}</strong>
                                <br />
                                <Link to={`/needs/${m.need_id}`} className="small">
                                  {needs[m.need_id]?.title ?? "…"}
                                </Link>
                              </>
                            )}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <ul className="list">
              {[...byCollectivity.entries()].map(([cid, ms]) => (
                <li key={cid}>
                  <h3>
                    <Link to={`/collectivities/${cid}`}><Bdi>{collectivityName(names[cid], lang)}</Bdi></Link>
                  </h3>
                  <ol>
                    {ms.map((m) => (
                      <li key={m.id}>
                        {fmt(m.starts_at)} · {m.table_label} · {who(m)}
                      </li>
                    ))}
                  </ol>
                  <div className="actions">
                    {(["ics", "csv"] as const).map((f) => (
                      <button
                        key={f}
                        type="button"
                        className="btn btn-small"
                        onClick={() =>
                          download(`/api/v1/events/${eventId}/agenda/${cid}.${f}`, `agenda.${f}`).catch((e: unknown) => setError(e))
                        }
                      >
                        {t("mission.agenda", { format: f.toUpperCase() })}
                      </button>
                    ))}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}

function Availability({
  eventId,
  timeZone,
  startsAt,
  onSaved,
  onError,
}: {
  eventId: string;
  timeZone: string;
  startsAt?: string;
  onSaved: () => void;
  onError: (e: unknown) => void;
}) {
  const { t } = useI18n();
  const zoneHint = t("events.zoneHint", { zone: zoneName(t, timeZone), tz: timeZone });
  const min = startsAt ? `${isoToZoned(startsAt, timeZone).slice(0, 10)}T00:00` : undefined;
  const [cid, setCid] = useState<string | null>(null);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!cid) return;
    onError(null);
    try {
      const current = await unwrap(api.GET("/api/v1/events/{event_id}/availability", { params: { path: { event_id: eventId } } }));
      const windows = current.items.find((a) => a.collectivity_id === cid)?.windows ?? [];
      await unwrap(
        api.PUT("/api/v1/events/{event_id}/availability/{collectivity_id}", {
          params: { path: { event_id: eventId, collectivity_id: cid } },
          // Entered as wall times in the event's zone, whatever the browser's zone is.
          body: { windows: [...windows, { starts_at: zonedToIso(start, timeZone), ends_at: zonedToIso(end, timeZone) }] },
        }),
      );
      setStart("");
      setEnd("");
      onSaved();
    } catch (err) {
      onError(err);
    }
  };
  return (
    <details>
      <summary>{t("mission.addAvailability")}</summary>
      <form className="inline-form" onSubmit={submit}>
        <p className="hint" id={`zone-${eventId}`}>
          {zoneHint}
        </p>
        <Field label={t("field.collectivity")}>{(p) => <CollectivityPicker id={p.id} value={cid} onChange={(v) => setCid(v)} />}</Field>
        <Field label={t("mission.from")}>
          {(p) => (
            <input {...p} aria-describedby={`zone-${eventId}`} type="datetime-local" required min={min} value={start} onChange={(e) => setStart(e.target.value)} />
          )}
        </Field>
        <Field label={t("mission.to")}>
          {(p) => (
            <input {...p} aria-describedby={`zone-${eventId}`} type="datetime-local" required min={start || min} value={end} onChange={(e) => setEnd(e.target.value)} />
          )}
        </Field>
        <button type="submit" className="btn" disabled={!cid || !start || !end}>
          {t("mission.saveAvailability")}
        </button>
      </form>
    </details>
  );
}

function Schedule({ eventId, onDone, onError }: { eventId: string; onDone: (r: Result) => void; onError: (e: unknown) => void }) {
  const { t } = useI18n();
  const [minutes, setMinutes] = useState(30);
  const [tables, setTables] = useState("Table 1, Table 2, Table 3");
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    onError(null);
    try {
      const r = await unwrap(
        api.POST("/api/v1/events/{event_id}/meetings/schedule", {
          params: { path: { event_id: eventId } },
          body: {
            slot_minutes: minutes,
            tables: tables
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean),
          },
        }),
      );
      onDone(r);
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={t("mission.schedule")}>
      <Field label={t("mission.slotMinutes")}>
        {(p) => <input {...p} type="number" min={10} max={240} step={5} value={minutes} onChange={(e) => setMinutes(Number(e.target.value) || 30)} />}
      </Field>
      <Field label={t("mission.tables")} hint={t("mission.tablesHint")}>
        {(p) => <input {...p} value={tables} onChange={(e) => setTables(e.target.value)} />}
      </Field>
      <button type="submit" className="btn btn-primary" disabled={busy || !tables.trim()}>
        {busy ? t("state.working") : t("mission.schedule")}
      </button>
    </form>
  );
}
