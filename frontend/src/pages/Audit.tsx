import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { Async, Badge, Field, Pagination } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useI18n } from "../i18n";
import { useQueryState } from "./common";

type Entry = components["schemas"]["AuditPublic"];
const LIMIT = 50;
const ACTIONS = ["create", "update", "delete", "bulk", "erasure"];
const RESOURCES = [
  "collectivities",
  "contacts",
  "needs",
  "partnerships",
  "thematic_tags",
  "events",
  "event_registrations",
  "census_campaigns",
  "match_runs",
  "match_proposals",
  "users",
  "api_clients",
  "webhook_subscriptions",
];
const TONE: Record<string, string> = { create: "good", update: "neutral", delete: "warn", bulk: "neutral", erasure: "bad" };

const show = (v: unknown): string => (v === null || v === undefined || v === "" ? "∅" : typeof v === "string" ? v : JSON.stringify(v));

/** The fields a write changed, as "field: before → after" (all fields for a creation or a deletion). */
export function changes(e: Pick<Entry, "before" | "after">): string[] {
  const before = e.before ?? {};
  const after = e.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.map((k) => (k in before && k in after ? `${k}: ${show(before[k])} → ${show(after[k])}` : `${k}: ${show(k in after ? after[k] : before[k])}`));
}

/** Admin: the audit trail — who wrote what, when; read-only. */
export default function Audit() {
  const { t, tv, date } = useI18n();
  // "tab" is kept so that changing a filter stays on this tab of /admin.
  const [f, set] = useQueryState(["tab", "resource_type", "action", "actor", "resource_id", "offset"] as const);
  const offset = Number(f.offset) || 0;
  const list = useQuery({
    queryKey: ["audit", "Audit.list", f.resource_type, f.action, f.actor, f.resource_id, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/audit", {
          params: {
            query: {
              resource_type: f.resource_type || undefined,
              action: f.action || undefined,
              actor: f.actor || undefined,
              resource_id: f.resource_id || undefined,
              limit: LIMIT,
              offset,
            },
          },
          signal,
        }),
      ),
  });
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t("admin.audit")}</h2>
      <p className="muted">{t("audit.intro")}</p>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t("audit.resource")}>
          {(p) => (
            <EnumSelect {...p} value={f.resource_type} values={RESOURCES} label={(r) => tv("audit.res", r)} onChange={(v) => set({ resource_type: v })} />
          )}
        </Field>
        <Field label={t("audit.action")}>
          {(p) => (
            <EnumSelect {...p} value={f.action} values={ACTIONS} label={(a) => tv("audit.action", a)} onChange={(v) => set({ action: v })} />
          )}
        </Field>
        <Field label={t("audit.actor")} hint={t("audit.actorHint")}>
          {(p) => <input {...p} type="search" dir="ltr" defaultValue={f.actor} onChange={(e) => set({ actor: e.target.value.trim() })} />}
        </Field>
        <Field label={t("audit.resourceId")}>
          {(p) => <input {...p} type="search" dir="ltr" defaultValue={f.resource_id} pattern="[0-9a-fA-F-]{36}" onChange={(e) => set({ resource_id: e.target.value.trim() })} />}
        </Field>
      </form>
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("audit.none")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("audit.when")}</th>
                    <th scope="col">{t("audit.actor")}</th>
                    <th scope="col">{t("audit.action")}</th>
                    <th scope="col">{t("audit.resource")}</th>
                    <th scope="col">{t("audit.changes")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((e) => (
                    <tr key={e.id}>
                      <td>{date(e.at, true)}</td>
                      <td dir="ltr">
                        {e.actor_label || e.actor_kind} <span className="muted small">({tv("audit.kind", e.actor_kind)})</span>
                      </td>
                      <td>
                        <Badge tone={TONE[e.action] ?? "neutral"}>{tv("audit.action", e.action)}</Badge>
                      </td>
                      <td dir="ltr">
                        {tv("audit.res", e.resource_type)}{" "}
                        {e.resource_id && (
                          <button type="button" className="btn-link small" title={e.resource_id} onClick={() => set({ resource_id: e.resource_id })}>
                            {e.resource_id.slice(0, 8)}
                          </button>
                        )}
                      </td>
                      <td className="small" dir="ltr">
                        <ul className="plain">
                          {changes(e).map((c) => (
                            <li key={c}>{c}</li>
                          ))}
                        </ul>
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
