import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { Async, Badge, ErrorBox, Field, Pagination } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useI18n } from "../i18n";
import { useQueryState } from "./common";

type Status = components["schemas"]["OutboxStatus"];
const STATUSES: Status[] = ["pending", "dead", "sent"];
const LIMIT = 50;
const TONE: Record<Status, string> = { sent: "good", pending: "warn", dead: "bad" };

/** What the idempotency key says the message is: "email:census-invitation:…" → "census-invitation". */
export function messageKind(key: string): string {
  const [kind, what] = key.split(":");
  return what && kind === "email" ? what : kind;
}

/** Admin: everything that leaves Jisr (e-mails, webhook deliveries), waiting, sent or dead, with retry. */
export default function Outbox() {
  const { t, tv, date } = useI18n();
  // "tab" is kept so that changing a filter stays on this tab of /admin.
  const [f, set] = useQueryState(["tab", "status", "kind", "target", "offset"] as const);
  const offset = Number(f.offset) || 0;
  const [error, setError] = useState<unknown>(null);
  const list = useQuery({
    queryKey: ["outbox", "Outbox.list", f.status, f.kind, f.target, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/outbox", {
          params: {
            query: {
              status: (f.status || undefined) as Status | undefined,
              kind: f.kind || undefined,
              target: f.target || undefined,
              limit: LIMIT,
              offset,
            },
          },
          signal,
        }),
      ),
  });
  const retry = async (id: string) => {
    setError(null);
    try {
      await unwrap(api.POST("/api/v1/outbox/{item_id}/retry", { params: { path: { item_id: id } } }));
      void list.refetch();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="outbox-title">
      <h2 id="outbox-title">{t("admin.outbox")}</h2>
      <p className="muted">{t("outbox.intro")}</p>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t("field.status")}>
          {(p) => (
            <EnumSelect {...p} value={f.status} values={STATUSES} label={(s) => tv("outbox.status", s)} onChange={(v) => set({ status: v })} />
          )}
        </Field>
        <Field label={t("outbox.channel")}>
          {(p) => (
            <EnumSelect {...p} value={f.kind} values={["email", "webhook"] as const} label={(k) => t(`outbox.${k}`)} onChange={(v) => set({ kind: v })} />
          )}
        </Field>
        <Field label={t("outbox.recipient")}>
          {(p) => <input {...p} type="search" dir="ltr" defaultValue={f.target} onChange={(e) => set({ target: e.target.value.trim() })} />}
        </Field>
      </form>
      <ErrorBox error={error} />
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("outbox.none")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.created")}</th>
                    <th scope="col">{t("outbox.message")}</th>
                    <th scope="col">{t("outbox.recipient")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col" className="num">
                      {t("hooks.attempts")}
                    </th>
                    <th scope="col">{t("outbox.next")}</th>
                    <th scope="col">{t("hooks.lastError")}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t("outbox.retry")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((x) => (
                    <tr key={x.id}>
                      <td>{date(x.created_at, true)}</td>
                      <td>
                        <code>{messageKind(x.idempotency_key)}</code>
                      </td>
                      <td dir="ltr">{x.target || "—"}</td>
                      <td>
                        <Badge tone={TONE[x.status]}>{tv("outbox.status", x.status)}</Badge>
                      </td>
                      <td className="num">{x.attempts}</td>
                      <td>{x.status === "sent" ? date(x.sent_at, true) : date(x.next_attempt_at, true)}</td>
                      <td className="small">{x.last_error ?? "—"}</td>
                      <td>
                        {x.status !== "sent" && (
                          <button type="button" className="btn btn-small" onClick={() => void retry(x.id)}>
                            {t("outbox.retry")}
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
    </section>
  );
}
