import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { collectivityName } from "../components/CollectivityPicker";
import { ExportButton } from "../components/ExportButton";
import { TagSelect } from "../components/TagPicker";
import { Bdi, Async, Field, PageHeader, Pagination } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { rememberCollectivities, useGovernorates } from "../hooks";
import { nameOf, useI18n, type MessageKey } from "../i18n";
import { Link } from "../router";
import { useQueryState, useSearchText, useTitle } from "./common";
import { GovernorateSelect } from "../components/Governorates";

export const KINDS: Record<"FR" | "LB", string[]> = {
  FR: ["commune", "epci", "departement", "region", "other"],
  LB: ["municipality", "union_of_municipalities", "other"],
};
const ALL_KINDS = ["commune", "epci", "departement", "region", "municipality", "union_of_municipalities", "other"];
const LIMIT = 25;
const KEYS = ["q", "country", "kind", "governorate", "tag", "sort", "offset"] as const;

export default function Directory() {
  const { t, tv, num, lang } = useI18n();
  useTitle(t("nav.directory"));
  const [f, set] = useQueryState(KEYS);
  const govs = useGovernorates();
  const [text, setText] = useSearchText(f.q, set);
  const offset = Number(f.offset) || 0;
  const country = f.country === "FR" || f.country === "LB" ? f.country : undefined;

  const qc = useQueryClient();
  const list = useQuery({
    queryKey: ["collectivities", "Directory.list", f.q, country, f.kind, f.governorate, f.tag, f.sort, offset],
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        api.GET("/api/v1/collectivities", {
          params: {
            query: {
              q: f.q || undefined,
              country,
              kind: (f.kind || undefined) as never,
              governorate: f.governorate || undefined,
              tag: f.tag || undefined,
              sort: f.sort || "name",
              limit: LIMIT,
              offset,
            },
          },
          signal,
        }),
      );
      rememberCollectivities(qc, page.items);
      return page;
    },
  });
  const govName = (code: string | null | undefined) => {
    const g = govs.data?.find((x) => x.code === code);
    return g ? nameOf(g, lang) : code ?? "";
  };

  return (
    <>
      <PageHeader
        title={t("nav.directory")}
        actions={<ExportButton what="collectivities" filters={{ q: f.q, country, kind: f.kind, governorate: f.governorate, tag: f.tag, sort: f.sort || "name" }} />}
      >
        <p className="muted">{t("dir.intro")}</p>
      </PageHeader>
      <form className="filters" role="search" aria-label={t("dir.filters")} onSubmit={(e) => e.preventDefault()}>
        <Field label={t("dir.search")} hint={t("dir.searchHint")}>
          {(p) => <input {...p} type="search" value={text} onChange={(e) => setText(e.target.value)} />}
        </Field>
        <Field label={t("field.country")}>
          {(p) => (
            <EnumSelect {...p} value={f.country} values={["LB", "FR"] as const} label={(c) => tv("country", c)} onChange={(v) => set({ country: v, kind: null, governorate: null })} />
          )}
        </Field>
        <Field label={t("field.kind")}>
          {(p) => (
            <EnumSelect {...p} value={f.kind} values={(country ? KINDS[country] : ALL_KINDS)} label={(k) => tv("kind", k)} onChange={(v) => set({ kind: v })} />
          )}
        </Field>
        {country !== "FR" && (
          <Field label={t("field.governorate")}>
            {(p) => <GovernorateSelect id={p.id} value={f.governorate} onChange={(code) => set({ governorate: code })} allLabel={t("filter.all")} />}
          </Field>
        )}
        <Field label={t("field.theme")}>
          {(p) => <TagSelect id={p.id} value={f.tag} onChange={(slug) => set({ tag: slug })} allLabel={t("filter.all")} />}
        </Field>
        <Field label={t("filter.sort")}>
          {(p) => (
            <select {...p} value={f.sort || "name"} onChange={(e) => set({ sort: e.target.value })}>
              <option value="name">{t("sort.name")}</option>
              <option value="-population">{t("sort.population")}</option>
              <option value="-updated_at">{t("sort.updated")}</option>
            </select>
          )}
        </Field>
      </form>
      <div aria-live="polite" className="result-count">
        {list.data && t("dir.count", { n: list.data.total })}
        {list.isFetching && list.data && <span className="muted"> · {t("state.loading")}</span>}
      </div>
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("dir.empty")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">{t("nav.directory")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("field.name")}</th>
                    <th scope="col">{t("field.kind")}</th>
                    <th scope="col">{t("field.place")}</th>
                    <th scope="col" className="num">
                      {t("field.population")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/collectivities/${c.id}`}><Bdi>{collectivityName(c, lang)}</Bdi></Link>
                        {c.name_ar && " "}
                        {lang !== "ar" && c.name_ar && (
                          <Bdi className="muted alt-name" lang="ar">
                            {c.name_ar}
                          </Bdi>
                        )}
                        {lang === "ar" && c.name_ar && (
                          <Bdi className="muted alt-name" lang="fr">
                            {c.name}
                          </Bdi>
                        )}
                      </td>
                      <td>
                        {t(`country.${c.country}` as MessageKey)} · {tv("kind", c.kind)}
                      </td>
                      <td>{c.country === "LB" ? [govName(c.governorate), c.district].filter(Boolean).join(" · ") : c.departement ? t("dir.departement", { code: c.departement }) : "—"}</td>
                      <td className="num">{num(c.population)}</td>
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
