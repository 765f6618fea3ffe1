import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, Pagination, toneOf } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useI18n, type I18n } from "../i18n";
import { Link, navigate, withQuery } from "../router";
import { isoToZoned, zonedToIso } from "../zoned";
import { useQueryState, useTitle } from "./common";

type Event = components["schemas"]["EventPublic"];
type EventCreate = components["schemas"]["EventCreate"];
export const EVENT_KINDS = ["webinar", "workshop", "field_mission", "meeting"] as const;
export const EVENT_STATUSES = ["planned", "open", "closed", "cancelled", "done"] as const;
const LIMIT = 25;

/** A time zone's name in the person's language ("Paris"), or its IANA name when it has none. */
export function zoneName(t: I18n["t"], timeZone: string): string {
  return timeZone === "Europe/Paris" ? t("events.tz.paris") : timeZone === "Asia/Beirut" ? t("events.tz.beirut") : timeZone;
}
const KEYS = ["view", "when", "kind", "status", "q", "month", "offset"] as const;

export default function Events() {
  const { t, tv, date, num } = useI18n();
  const { me } = useAuth();
  useTitle(t("nav.events"));
  const [f, set] = useQueryState(KEYS);
  const view = f.view === "calendar" ? "calendar" : "list";
  const when = f.when === "past" ? "past" : f.when === "all" ? "all" : "upcoming";
  const offset = Number(f.offset) || 0;
  const now = useMemo(() => new Date().toISOString(), []);
  const month = /^\d{4}-\d{2}$/.test(f.month) ? f.month : now.slice(0, 7);

  const list = useQuery({
    queryKey: ["events", "Events.list", view, when, month, f.kind, f.status, f.q, offset],
    queryFn: ({ signal }) => {
      let range: { starts_after?: string; starts_before?: string } = {};
      if (view === "calendar") {
        const [y, m] = month.split("-").map(Number);
        // A day either side: the grid places events by their own zone's date.
        range = { starts_after: new Date(Date.UTC(y, m - 1, 0)).toISOString(), starts_before: new Date(Date.UTC(y, m, 2)).toISOString() };
      } else if (when === "upcoming") range = { starts_after: now };
      else if (when === "past") range = { starts_before: now };
      return unwrap(
        api.GET("/api/v1/events", {
          params: {
            query: {
              ...range,
              kind: (f.kind || undefined) as never,
              status: (f.status || undefined) as never,
              q: f.q || undefined,
              sort: when === "past" && view === "list" ? "-starts_at" : "starts_at",
              limit: view === "calendar" ? 500 : LIMIT,
              offset: view === "calendar" ? 0 : offset,
            },
          },
          signal,
        }),
      );
    },
  });

  return (
    <>
      <PageHeader title={t("nav.events")} />
      {isStaff(me) && <NewEvent />}
      <nav className="tabs" aria-label={t("events.views")}>
        <ul>
          <li>
            <Link to={withQuery("/events", { when: f.when })} aria-current={view === "list" ? "page" : undefined}>
              {t("events.list")}
            </Link>
          </li>
          <li>
            <Link to={withQuery("/events", { view: "calendar", month })} aria-current={view === "calendar" ? "page" : undefined}>
              {t("events.calendar")}
            </Link>
          </li>
        </ul>
      </nav>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label={t("dir.filters")}>
        {view === "list" && (
          <Field label={t("events.when")}>
            {(p) => (
              <select {...p} value={when} onChange={(e) => set({ when: e.target.value })}>
                <option value="upcoming">{t("events.upcoming")}</option>
                <option value="past">{t("events.past")}</option>
                <option value="all">{t("filter.all")}</option>
              </select>
            )}
          </Field>
        )}
        <Field label={t("field.kind")}>
          {(p) => (
            <EnumSelect {...p} value={f.kind} values={EVENT_KINDS} label={(k) => tv("eventKind", k)} onChange={(v) => set({ kind: v })} />
          )}
        </Field>
        <Field label={t("field.status")}>
          {(p) => (
            <EnumSelect {...p} value={f.status} values={EVENT_STATUSES} label={(k) => tv("eventStatus", k)} onChange={(v) => set({ status: v })} />
          )}
        </Field>
      </form>
      <Async state={list} isEmpty={(d) => view === "list" && d.items.length === 0} empty={t("events.empty")}>
        {(page) =>
          view === "calendar" ? (
            <Calendar month={month} events={page.items} onMonth={(m) => set({ month: m })} />
          ) : (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="visually-hidden">{t("nav.events")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("events.date")}</th>
                      <th scope="col">{t("field.title")}</th>
                      <th scope="col">{t("field.kind")}</th>
                      <th scope="col">{t("events.place")}</th>
                      <th scope="col">{t("field.status")}</th>
                      <th scope="col" className="num">{t("events.registered")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((e) => (
                      <tr key={e.id}>
                        <td>
                          {date(e.starts_at, true, e.timezone)} <small className="muted">{e.timezone?.split("/")[1]}</small>
                        </td>
                        <td>
                          <Link to={`/events/${e.id}`}><Bdi>{e.title}</Bdi></Link>
                        </td>
                        <td>{tv("eventKind", e.kind)}</td>
                        <td>{e.location || (e.online_url ? t("events.online") : "—")}</td>
                        <td>
                          <Badge tone={toneOf(e.status)}>{tv("eventStatus", e.status)}</Badge>
                        </td>
                        <td className="num">
                          {num(e.registered_count)}
                          {e.capacity != null && ` / ${num(e.capacity)}`}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={(o) => set({ offset: o })} />
            </>
          )
        }
      </Async>
    </>
  );
}

/** A month grid (weeks start on Monday); mirrors in Arabic because it is a CSS grid. */
function Calendar({ month, events, onMonth }: { month: string; events: Event[]; onMonth: (m: string) => void }) {
  const { t, locale } = useI18n();
  const [y, m] = month.split("-").map(Number);
  const first = new Date(y, m - 1, 1);
  const days = new Date(y, m, 0).getDate();
  const lead = (first.getDay() + 6) % 7;
  const shift = (d: number) => {
    const x = new Date(y, m - 1 + d, 1);
    return `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, "0")}`;
  };
  const weekday = new Intl.DateTimeFormat(locale, { weekday: "short" });
  const title = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric" }).format(first);
  // Each event on its own day and hour, as lived where it happens (not in the browser's zone).
  const byDay = new Map<number, { e: Event; wall: string }[]>();
  for (const e of events) {
    const wall = isoToZoned(e.starts_at, e.timezone);
    if (wall.slice(0, 7) === month) {
      const day = Number(wall.slice(8, 10));
      byDay.set(day, [...(byDay.get(day) ?? []), { e, wall }]);
    }
  }
  return (
    <section className="calendar card" aria-labelledby="cal-title">
      <div className="calendar-head">
        <button type="button" className="btn btn-small" onClick={() => onMonth(shift(-1))}>
          <span className="flip" aria-hidden="true">‹</span> {t("events.prevMonth")}
        </button>
        <h2 id="cal-title" aria-live="polite">
          {title}
        </h2>
        <label className="calendar-jump">
          <span>{t("events.jumpTo")}</span>{" "}
          <input
            type="month"
            value={month}
            min="2000-01"
            max="2100-12"
            onChange={(e) => {
              if (/^\d{4}-\d{2}$/.test(e.target.value)) onMonth(e.target.value);
            }}
          />
        </label>
        <button type="button" className="btn btn-small" onClick={() => onMonth(shift(1))}>
          {t("events.nextMonth")} <span className="flip" aria-hidden="true">›</span>
        </button>
      </div>
      <ol className="calendar-grid">
        {Array.from({ length: 7 }, (_, i) => (
          <li key={`h${i}`} className="calendar-dow" aria-hidden="true">
            {weekday.format(new Date(2024, 0, 1 + i))}
          </li>
        ))}
        {Array.from({ length: lead }, (_, i) => (
          <li key={`e${i}`} className="calendar-blank" aria-hidden="true" />
        ))}
        {Array.from({ length: days }, (_, i) => {
          const list = byDay.get(i + 1) ?? [];
          return (
            <li key={i} className={list.length ? "calendar-day has-events" : "calendar-day"}>
              <span className="calendar-num">{i + 1}</span>
              {list.map(({ e, wall }) => (
                <Link key={e.id} to={`/events/${e.id}`} className="calendar-event">
                  <time dateTime={e.starts_at_local}>{wall.slice(11, 16)}</time> {e.title}
                </Link>
              ))}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function NewEvent() {
  const { t, tv } = useI18n();
  const [form, setForm] = useState({
    kind: "webinar" as EventCreate["kind"],
    title: "",
    description: "",
    start: "",
    end: "",
    timezone: "Asia/Beirut",
    location: "",
    online_url: "",
    audience: "both" as NonNullable<EventCreate["audience"]>,
    capacity: "",
  });
  const patch = (p: Partial<typeof form>) => setForm((f) => ({ ...f, ...p }));
  const zoneHint = t("events.zoneHint", { zone: zoneName(t, form.timezone), tz: form.timezone });
  const create = useMutation({
    mutationFn: async () => {
      const ev = await unwrap(
        api.POST("/api/v1/events", {
          body: {
            kind: form.kind,
            title: form.title,
            description: form.description,
            // Wall times in the event's zone, whatever the browser's zone is.
            starts_at: zonedToIso(form.start, form.timezone),
            ends_at: zonedToIso(form.end || form.start, form.timezone),
            timezone: form.timezone,
            location: form.location,
            online_url: form.online_url || null,
            audience: form.audience,
            capacity: form.capacity ? Number(form.capacity) : null,
            status: "planned",
            speakers: [],
          },
        }),
      );
      navigate(`/events/${ev.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <details className="card">
      <summary>{t("events.new")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={create.error} />
        <div className="row">
          <Field label={t("field.kind")}>
            {(p) => (
              <select {...p} value={form.kind} onChange={(e) => patch({ kind: e.target.value as EventCreate["kind"] })}>
                {EVENT_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {tv("eventKind", k)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("events.audience")}>
            {(p) => (
              <select {...p} value={form.audience} onChange={(e) => patch({ audience: e.target.value as typeof form.audience })}>
                {(["both", "LB", "FR"] as const).map((a) => (
                  <option key={a} value={a}>
                    {tv("audience", a)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("events.timezone")}>
            {(p) => (
              <select {...p} value={form.timezone} onChange={(e) => patch({ timezone: e.target.value })}>
                <option value="Asia/Beirut">{t("events.tz.beirut")}</option>
                <option value="Europe/Paris">{t("events.tz.paris")}</option>
              </select>
            )}
          </Field>
        </div>
        <Field label={t("field.title")}>{(p) => <input {...p} required maxLength={300} value={form.title} onChange={(e) => patch({ title: e.target.value })} />}</Field>
        <div className="row">
          <Field label={t("events.start")} hint={zoneHint}>
            {(p) => <input {...p} type="datetime-local" required value={form.start} onChange={(e) => patch({ start: e.target.value })} />}
          </Field>
          <Field label={t("events.end")} hint={zoneHint}>
            {(p) => <input {...p} type="datetime-local" required min={form.start} value={form.end} onChange={(e) => patch({ end: e.target.value })} />}
          </Field>
          <Field label={t("events.capacity")}>
            {(p) => <input {...p} inputMode="numeric" value={form.capacity} onChange={(e) => patch({ capacity: e.target.value.replace(/[^\d]/g, "") })} />}
          </Field>
        </div>
        <div className="row">
          <Field label={t("events.place")}>{(p) => <input {...p} maxLength={300} value={form.location} onChange={(e) => patch({ location: e.target.value })} />}</Field>
          <Field label={t("events.onlineUrl")}>{(p) => <input {...p} type="url" dir="ltr" value={form.online_url} onChange={(e) => patch({ online_url: e.target.value })} />}</Field>
        </div>
        <Field label={t("field.description")}>{(p) => <textarea {...p} rows={3} value={form.description} onChange={(e) => patch({ description: e.target.value })} />}</Field>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !form.title.trim() || !form.start || !form.end}>
          {t("events.create")}
        </button>
      </form>
    </details>
  );
}
