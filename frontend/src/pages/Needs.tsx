import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { canEdit, useAuth } from "../auth";
import { collectivityName } from "../components/CollectivityPicker";
import { ExportButton } from "../components/ExportButton";
import { TagSelect } from "../components/TagPicker";
import { Bdi, Async, Badge, Field, PageHeader, Pagination, toneOf } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { useCollectivities } from "../hooks";
import { useI18n } from "../i18n";
import { Link } from "../router";
import { useQueryState, useSearchText, useTitle } from "./common";
import { GovernorateSelect } from "../components/Governorates";

export const NEED_STATUSES = ["draft", "open", "in_discussion", "matched", "closed"] as const;
export const PRIORITIES = ["high", "medium", "low"] as const;
export const DIRECTIONS = ["request", "offer"] as const;
export const SOURCES = ["manual", "webinar", "census", "field_mission", "import"] as const;
const LIMIT = 25;
const KEYS = ["q", "direction", "status", "priority", "tag", "country", "governorate", "offset"] as const;

export default function Needs() {
  const { t, tv, lang, date } = useI18n();
  const { me } = useAuth();
  useTitle(t("nav.needs"));
  const [f, set] = useQueryState(KEYS);
  const [text, setText] = useSearchText(f.q, set);
  const offset = Number(f.offset) || 0;

  const list = useQuery({
    queryKey: ["needs", "Needs.list", f.q, f.direction, f.status, f.priority, f.tag, f.country, f.governorate, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/needs", {
          params: {
            query: {
              q: f.q || undefined,
              direction: (f.direction || undefined) as never,
              status: (f.status || undefined) as never,
              priority: (f.priority || undefined) as never,
              tag: f.tag || undefined,
              country: (f.country || undefined) as never,
              governorate: f.governorate || undefined,
              limit: LIMIT,
              offset,
            },
          },
          signal,
        }),
      ),
  });
  const owners = useCollectivities((list.data?.items ?? []).map((n) => n.collectivity_id));

  const select = (key: (typeof KEYS)[number], options: readonly string[], prefix: string, label: string) => (
    <Field label={label}>
      {(p) => (
        <EnumSelect {...p} value={f[key]} values={options} label={(o) => tv(prefix, o)} onChange={(v) => set({ [key]: v })} />
      )}
    </Field>
  );

  return (
    <>
      <PageHeader
        title={t("nav.needs")}
        actions={
          <>
            <ExportButton
              what="needs"
              filters={{ q: f.q, direction: f.direction, status: f.status, priority: f.priority, tag: f.tag, country: f.country, governorate: f.governorate }}
            />
            {canEdit(me) && (
              <Link className="btn btn-primary" to="/needs/new">
                {t("needs.new")}
              </Link>
            )}
          </>
        }
      />
      <form className="filters" role="search" aria-label={t("dir.filters")} onSubmit={(e) => e.preventDefault()}>
        <Field label={t("dir.search")}>
          {(p) => <input {...p} type="search" value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        {select("direction", DIRECTIONS, "direction", t("field.direction"))}
        {select("status", NEED_STATUSES, "needStatus", t("field.status"))}
        {select("priority", PRIORITIES, "priority", t("field.priority"))}
        {select("country", ["LB", "FR"], "country", t("field.country"))}
        <Field label={t("field.governorate")}>
          {(p) => <GovernorateSelect id={p.id} value={f.governorate} onChange={(code) => set({ governorate: code })} allLabel={t("filter.all")} />}
        </Field>
        <Field label={t("field.theme")}>
          {(p) => <TagSelect id={p.id} value={f.tag} onChange={(slug) => set({ tag: slug })} allLabel={t("filter.all")} />}
        </Field>
      </form>
      <div aria-live="polite" className="result-count">
        {list.data && t("needs.count", { n: list.data.total })}
      </div>
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("needs.empty")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">{t("nav.needs")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("field.title")}</th>
                    <th scope="col">{t("field.collectivity")}</th>
                    <th scope="col">{t("field.direction")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col">{t("field.priority")}</th>
                    <th scope="col">{t("field.updated")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((n) => (
                    <tr key={n.id}>
                      <td>
                        <Link to={`/needs/${n.id}`}><Bdi>{n.title}</Bdi></Link>
                      </td>
                      <td>
                        <Link to={`/collectivities/${n.collectivity_id}`}><Bdi>{collectivityName(owners[n.collectivity_id], lang)}</Bdi></Link>
                      </td>
                      <td>{tv("direction", n.direction)}</td>
                      <td>
                        <Badge tone={toneOf(n.status)}>{tv("needStatus", n.status)}</Badge>
                      </td>
                      <td>{tv("priority", n.priority)}</td>
                      <td>{date(n.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={(o) => set({ offset: o })} />
          </>
        )}
      </Async>
    </>
  );
}
