import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, etagOf, unwrap } from "../api/client";
import { download } from "../api/download";
import type { components } from "../api/schema";
import { isStaff, useAuth } from "../auth";
import { CollectivityPicker, collectivityName } from "../components/CollectivityPicker";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, toneOf } from "../components/ui";
import { useCollectivities } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { Link, withQuery } from "../router";
import { EVENT_STATUSES } from "./Events";
import { useTitle } from "./common";
import { MissionMeetings } from "./MissionMeetings";

type RegStatus = components["schemas"]["RegistrationStatus"];
type EventStatus = components["schemas"]["EventStatus"];
const REG_STATUSES: RegStatus[] = ["registered", "attended", "absent", "cancelled"];

export default function EventPage({ params }: { params: Record<string, string> }) {
  const id = params.id;
  const { t, tv, date, num, lang } = useI18n();
  const { me } = useAuth();
  const staff = isStaff(me);
  const [error, setError] = useState<unknown>(null);
  const ev = useQuery({
    queryKey: ["events", "EventPage.ev", id],
    queryFn: async ({ signal }) => {
    const res = await api.GET("/api/v1/events/{event_id}", { params: { path: { event_id: id } }, signal });
    return { event: await unwrap(Promise.resolve(res)), etag: etagOf(res.response) };
  },
  });
  useTitle(ev.data?.event.title ?? t("nav.events"));
  const regs = useQuery({
    queryKey: ["events", "EventPage.regs", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/events/{event_id}/registrations", { params: { path: { event_id: id }, query: { limit: 500 } }, signal })),
  });
  const questions = useQuery({
    queryKey: ["events", "EventPage.questions", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/events/{event_id}/questions", { params: { path: { event_id: id }, query: { limit: 500 } }, signal })),
  });
  const needs = useQuery({
    queryKey: ["needs", "EventPage.needs", id],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/needs", { params: { query: { source_event_id: id, limit: 100 } }, signal })),
  });
  const names = useCollectivities([
    ...(regs.data?.items ?? []).map((r) => r.collectivity_id),
    ...(questions.data?.items ?? []).map((q) => q.collectivity_id),
    ...(needs.data?.items ?? []).map((n) => n.collectivity_id),
  ]);
  const act = async (fn: () => Promise<unknown>, reload: () => void) => {
    setError(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setError(e);
    }
  };
  const setStatus = (status: EventStatus) =>
    act(
      () =>
        unwrap(
          api.PATCH("/api/v1/events/{event_id}", {
            params: { path: { event_id: id }, header: { "if-match": ev.data?.etag } as never },
            body: { status },
          }),
        ),
      () => void ev.refetch(),
    );
  const setReg = (regId: string, status: RegStatus) =>
    act(
      () =>
        unwrap(
          api.PATCH("/api/v1/events/{event_id}/registrations/{registration_id}", {
            params: { path: { event_id: id, registration_id: regId } },
            body: { status },
          }),
        ),
      () => {
        void regs.refetch();
        void ev.refetch();
      },
    );

  return (
    <Async state={ev}>
      {({ event: e }) => (
        <>
          <nav aria-label={t("nav.breadcrumb")} className="breadcrumb">
            <Link to="/events">{t("nav.events")}</Link>
          </nav>
          <PageHeader
            title={e.title}
            actions={
              <>
                <button type="button" className="btn" onClick={() => act(() => download(`/api/v1/events/${id}/calendar.ics`, "event.ics"), () => {})}>
                  {t("events.ics")}
                </button>
                {staff && (
                  <button
                    type="button"
                    className="btn"
                    onClick={() => act(() => download(`/api/v1/events/${id}/participants.csv?lang=${lang}`, "participants.csv"), () => {})}
                  >
                    {t("events.participantsCsv")}
                  </button>
                )}
              </>
            }
          >
            <p className="muted">
              {tv("eventKind", e.kind)} · <Badge tone={toneOf(e.status)}>{tv("eventStatus", e.status)}</Badge> · {tv("audience", e.audience ?? "both")}
            </p>
          </PageHeader>
          <ErrorBox error={error} />
          <div className="grid-2">
            <section className="card" aria-labelledby="ev-info">
              <h2 id="ev-info">{t("events.details")}</h2>
              <dl className="dl">
                <dt>{t("events.start")}</dt>
                <dd>
                  {date(e.starts_at, true, e.timezone)} <small className="muted">({e.timezone})</small>
                </dd>
                <dt>{t("events.end")}</dt>
                <dd>{date(e.ends_at, true, e.timezone)}</dd>
                <dt>{t("events.place")}</dt>
                <dd>{e.location || "—"}</dd>
                <dt>{t("events.onlineUrl")}</dt>
                <dd>
                  {e.online_url ? (
                    <a href={e.online_url} target="_blank" rel="noopener noreferrer" dir="ltr">
                      {e.online_url}
                    </a>
                  ) : (
                    "—"
                  )}
                </dd>
                <dt>{t("events.capacity")}</dt>
                <dd>
                  {num(e.registered_count)} / {e.capacity == null ? "∞" : num(e.capacity)}
                  {e.seats_left != null && ` · ${t("events.seatsLeft", { n: e.seats_left })}`}
                </dd>
              </dl>
              {e.description && <p className="prose" dir="auto">{e.description}</p>}
              {(e.speakers ?? []).length > 0 && (
                <>
                  <h3>{t("events.speakers")}</h3>
                  <ul>
                    {(e.speakers ?? []).map((s, i) => (
                      <li key={i}>
                        <strong><Bdi>{s.name}</Bdi></strong>
                        {s.organisation && `, ${s.organisation}`}
                        {s.topic && ` — ${s.topic}`}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {staff && (
                <Field label={t("field.status")}>
                  {(p) => (
                    <select {...p} value={e.status} onChange={(x) => void setStatus(x.target.value as EventStatus)}>
                      {EVENT_STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {tv("eventStatus", s)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              )}
            </section>
            <section className="card" aria-labelledby="ev-needs">
              <h2 id="ev-needs">{t("events.needsRaised")}</h2>
              <Async state={needs} isEmpty={(d) => d.items.length === 0} empty={t("events.noNeeds")}>
                {(page) => (
                  <ul className="list">
                    {page.items.map((n) => (
                      <li key={n.id}>
                        <Link to={`/needs/${n.id}`}><Bdi>{n.title}</Bdi></Link> <small className="muted"><Bdi>{collectivityName(names[n.collectivity_id], lang)}</Bdi></small>
                      </li>
                    ))}
                  </ul>
                )}
              </Async>
              {staff && (
                <p>
                  <Link to={withQuery("/needs/new", { event: id })}>{t("needs.new")}</Link>
                </p>
              )}
            </section>
          </div>

          <section className="card" aria-labelledby="ev-regs">
            <h2 id="ev-regs">{t("events.registrations")}</h2>
            {staff && !closedKey(e) && <Register eventId={id} onDone={() => { void regs.refetch(); void ev.refetch(); }} />}
            {staff && closedKey(e) && <p className="alert alert-info" role="status">{t(closedKey(e) as MessageKey)}</p>}
            <Async state={regs} isEmpty={(d) => d.items.length === 0} empty={t("events.noRegistrations")}>
              {(page) => (
                <div className="table-wrap">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">{t("field.collectivity")}</th>
                        <th scope="col">{t("events.registeredOn")}</th>
                        <th scope="col">{t("events.attendance")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((r) => (
                        <tr key={r.id}>
                          <td>
                            <Link to={`/collectivities/${r.collectivity_id}`}><Bdi>{collectivityName(names[r.collectivity_id], lang)}</Bdi></Link>
                          </td>
                          <td>{date(r.created_at)}</td>
                          <td>
                            {staff ? (
                              <select
                                aria-label={t("events.attendanceOf", { name: collectivityName(names[r.collectivity_id], lang) })}
                                value={r.status}
                                onChange={(x) => void setReg(r.id, x.target.value as RegStatus)}
                              >
                                {REG_STATUSES.map((s) => (
                                  <option key={s} value={s}>
                                    {tv("registrationStatus", s)}
                                  </option>
                                ))}
                              </select>
                            ) : (
                              <Badge tone={toneOf(r.status)}>{tv("registrationStatus", r.status)}</Badge>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Async>
          </section>

          {e.kind === "field_mission" && <MissionMeetings eventId={id} staff={staff} timeZone={e.timezone} startsAt={e.starts_at} />}

          <section className="card" aria-labelledby="ev-qa">
            <h2 id="ev-qa">{t("events.questions")}</h2>
            <Async state={questions} isEmpty={(d) => d.items.length === 0} empty={t("events.noQuestions")}>
              {(page) => (
                <ul className="list">
                  {page.items.map((q) => (
                    <Question
                      key={q.id}
                      eventId={id}
                      q={q}
                      who={collectivityName(names[q.collectivity_id], lang)}
                      staff={staff}
                      onSaved={() => void questions.refetch()}
                      onError={setError}
                    />
                  ))}
                </ul>
              )}
            </Async>
          </section>
        </>
      )}
    </Async>
  );
}

/** Why an event takes no registrations (the same sentence as the API's problem code), or null. */
function closedKey(e: { status?: string | null; ends_at: string }): string | null {
  if (e.status && e.status !== "planned" && e.status !== "open") return `problem.event_${e.status}`;
  return new Date(e.ends_at).getTime() <= Date.now() ? "problem.event_over" : null;
}

function Register({ eventId, onDone }: { eventId: string; onDone: () => void }) {
  const { t } = useI18n();
  const [cid, setCid] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!cid) return;
    setError(null);
    try {
      await unwrap(api.POST("/api/v1/events/{event_id}/registrations", { params: { path: { event_id: eventId } }, body: { collectivity_id: cid } }));
      setCid(null);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <ErrorBox error={error} />
      <Field label={t("events.registerCollectivity")}>{(p) => <CollectivityPicker id={p.id} value={cid} onChange={(v) => setCid(v)} />}</Field>
      <button type="submit" className="btn" disabled={!cid}>
        {t("events.register")}
      </button>
    </form>
  );
}

function Question({
  eventId,
  q,
  who,
  staff,
  onSaved,
  onError,
}: {
  eventId: string;
  q: components["schemas"]["QuestionPublic"];
  who: string;
  staff: boolean;
  onSaved: () => void;
  onError: (e: unknown) => void;
}) {
  const { t, date } = useI18n();
  const [answer, setAnswer] = useState(q.answer ?? "");
  const save = async (published: boolean) => {
    try {
      await unwrap(
        api.PATCH("/api/v1/events/{event_id}/questions/{question_id}", {
          params: { path: { event_id: eventId, question_id: q.id } },
          body: { answer: answer || null, published },
        }),
      );
      onSaved();
    } catch (e) {
      onError(e);
    }
  };
  return (
    <li>
      <p>
        <strong>{q.question}</strong> <small className="muted">— {who}</small>{" "}
        {q.published && <Badge tone="good">{t("events.published")}</Badge>}
      </p>
      {staff ? (
        <div className="inline-form">
          <Field label={t("events.answer")}>{(p) => <textarea {...p} rows={2} value={answer} onChange={(e) => setAnswer(e.target.value)} />}</Field>
          <div className="form-actions">
            <button type="button" className="btn btn-small" onClick={() => save(q.published)}>
              {t("action.save")}
            </button>
            <button type="button" className="btn btn-small" onClick={() => save(!q.published)} disabled={!answer.trim()}>
              {q.published ? t("events.unpublish") : t("events.publish")}
            </button>
          </div>
        </div>
      ) : (
        q.answer && <p className="prose">{q.answer}</p>
      )}
      {q.answered_at && <small className="muted">{date(q.answered_at, true)}</small>}
    </li>
  );
}
