import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { Async, Badge, ErrorBox, Field } from "../components/ui";
import { useI18n } from "../i18n";

type WebhookEvent = components["schemas"]["WebhookEvent"];
type Webhook = components["schemas"]["WebhookPublic"];
const EVENTS: WebhookEvent[] = ["need.created", "need.updated", "match.status_changed", "partnership.formed", "import.finished"];

/** Admin: webhooks (other systems told about changes), their deliveries, a ping. */
export default function Webhooks() {
  const { t } = useI18n();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["need.created", "match.status_changed"]);
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const list = useQuery({
    queryKey: ["webhooks", "Webhooks.list"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/webhooks", { params: { query: { limit: 100 } }, signal })),
  });
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
      void list.refetch();
    } catch (e) {
      setError(e);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const w = await unwrap(api.POST("/api/v1/webhooks", { body: { url, events, description, active: true } }));
      setSecret({ url: w.url, secret: w.secret });
      setUrl("");
      setDescription("");
    });
  };
  return (
    <>
      <form className="card form" onSubmit={create} aria-labelledby="new-hook">
        <h2 id="new-hook">{t("hooks.new")}</h2>
        <Field label={t("hooks.url")} hint={t("hooks.urlHint")}>
          {(p) => <input {...p} type="url" dir="ltr" required value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <fieldset>
          <legend>{t("hooks.events")}</legend>
          {EVENTS.map((ev) => (
            <label key={ev} className="check" style={{ marginInlineEnd: "1rem" }}>
              <input
                type="checkbox"
                checked={events.includes(ev)}
                onChange={(e) => setEvents((x) => (e.target.checked ? [...x, ev] : x.filter((y) => y !== ev)))}
              />{" "}
              <code>{ev}</code>
            </label>
          ))}
        </fieldset>
        <Field label={t("field.description")}>{(p) => <input {...p} maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
        <button type="submit" className="btn btn-primary" disabled={!url || events.length === 0}>
          {t("hooks.create")}
        </button>
      </form>
      <ErrorBox error={error} />
      {secret && (
        <div className="alert alert-success" role="status">
          <p className="alert-title">{t("hooks.secretOnce", { url: secret.url })}</p>
          <code className="secret">{secret.secret}</code>
          <p>
            <button type="button" className="btn" onClick={() => setSecret(null)}>
              {t("admin.secretSaved")}
            </button>
          </p>
        </div>
      )}
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("hooks.none")}>
        {(page) => (
          <ul className="list card">
            {page.items.map((w) => (
              <HookRow key={w.id} w={w} run={run} />
            ))}
          </ul>
        )}
      </Async>
    </>
  );
}

function HookRow({ w, run }: { w: Webhook; run: (fn: () => Promise<void>) => Promise<void> }) {
  const { t, date } = useI18n();
  const [open, setOpen] = useState(false);
  const deliveries = useQuery({
    queryKey: ["webhooks", "Webhooks.deliveries", open, w.id],
    queryFn: async ({ signal }) =>
      open
        ? unwrap(api.GET("/api/v1/webhooks/{webhook_id}/deliveries", { params: { path: { webhook_id: w.id }, query: { limit: 20 } }, signal }))
        : null,
  });
  return (
    <li>
      <p>
        <code dir="ltr">{w.url}</code> {w.active ? <Badge tone="good">{t("field.active")}</Badge> : <Badge tone="muted">{t("hooks.inactive")}</Badge>}
      </p>
      {w.description && <p className="muted" dir="auto">{w.description}</p>}
      <p className="small">{w.events.map((e) => <code key={e}>{e} </code>)}</p>
      <div className="actions">
        <button type="button" className="btn btn-small" onClick={() => run(async () => void (await unwrap(api.POST("/api/v1/webhooks/{webhook_id}/ping", { params: { path: { webhook_id: w.id } } }))))}>
          {t("hooks.ping")}
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            run(async () => void (await unwrap(api.PATCH("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: w.id } }, body: { active: !w.active } }))))
          }
        >
          {w.active ? t("admin.disable") : t("admin.enable")}
        </button>
        <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {t("hooks.deliveries")}
        </button>
        <button
          type="button"
          className="btn btn-small btn-danger"
          onClick={() =>
            window.confirm(t("hooks.confirmDelete")) &&
            run(async () => void (await unwrap(api.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: w.id } } }))))
          }
        >
          {t("action.delete")}
        </button>
      </div>
      {open && (
        <Async state={deliveries} isEmpty={(d) => !d || d.items.length === 0} empty={t("hooks.noDeliveries")}>
          {(d) => (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.created")}</th>
                    <th scope="col">{t("hooks.event")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col" className="num">{t("hooks.attempts")}</th>
                    <th scope="col">{t("hooks.lastError")}</th>
                  </tr>
                </thead>
                <tbody>
                  {d!.items.map((x) => (
                    <tr key={x.id}>
                      <td>{date(x.created_at, true)}</td>
                      <td>
                        <code>{x.kind}</code>
                      </td>
                      <td>
                        <Badge tone={x.status === "sent" ? "good" : x.status === "dead" ? "muted" : "warn"}>{x.status}</Badge>
                      </td>
                      <td className="num">{x.attempts}</td>
                      <td>{x.last_error ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      )}
    </li>
  );
}
