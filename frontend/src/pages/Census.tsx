import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, Pagination } from "../components/ui";
import { LANGS, useI18n } from "../i18n";
import { Link, navigate } from "../router";
import { zonedToIso } from "../zoned";
import { useQueryState, useTitle } from "./common";

type Lang = components["schemas"]["Language"];
const zoneName = (t: (k: "events.tz.beirut" | "events.tz.paris") => string, tz: string) =>
  tz === "Europe/Paris" ? t("events.tz.paris") : tz === "Asia/Beirut" ? t("events.tz.beirut") : tz;
const LIMIT = 25;

/** Census campaigns: list, create. Each campaign has its page (progress, invitations, responses). */
export default function Census() {
  const { t, date } = useI18n();
  useTitle(t("nav.census"));
  const [f, set] = useQueryState(["offset"] as const);
  const offset = Number(f.offset) || 0;
  const list = useQuery({
    queryKey: ["census", "Census.list", offset],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/census/campaigns", { params: { query: { limit: LIMIT, offset, sort: "-created_at" } }, signal })),
  });
  return (
    <>
      <PageHeader title={t("nav.census")}>
        <p className="muted">{t("census.intro")}</p>
      </PageHeader>
      <NewCampaign />
      <section aria-labelledby="campaigns">
        <h2 id="campaigns">{t("census.campaigns")}</h2>
        <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("census.noCampaigns")}>
          {(page) => (
            <>
              <ul className="list card">
                {page.items.map((c) => (
                  <li key={c.id}>
                    <Link to={`/census/campaigns/${c.id}`}><Bdi>{c.title}</Bdi></Link>{" "}
                    <Badge tone={c.is_open ? "good" : "muted"}>{c.is_open ? t("census.open") : t("census.closed")}</Badge>{" "}
                    <small className="muted">{t("census.closesOn", { date: date(c.closes_at) })}</small>
                  </li>
                ))}
              </ul>
              <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={(o) => set({ offset: o })} />
            </>
          )}
        </Async>
      </section>
    </>
  );
}

function NewCampaign() {
  const { t } = useI18n();
  // The title and description in French (required), English and Arabic (empty: the French ones).
  const [texts, setTexts] = useState({ title: "", description: "", title_en: "", description_en: "", title_ar: "", description_ar: "" });
  const [timezone, setTimezone] = useState("Asia/Beirut");
  const [languages, setLanguages] = useState<Lang[]>(["ar", "fr", "en"]);
  const [closes, setCloses] = useState("");
  const create = useMutation({
    mutationFn: async () => {
      const c = await unwrap(
        api.POST("/api/v1/census/campaigns", {
          body: { ...texts, languages, timezone, closes_at: zonedToIso(`${closes}T23:59`, timezone) },
        }),
      );
      navigate(`/census/campaigns/${c.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <details className="card">
      <summary>{t("census.newCampaign")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={create.error} />
        <p className="hint">{t("census.textsHint")}</p>
        {(["fr", "en", "ar"] as const).map((l) => {
          const tk = l === "fr" ? "title" : (`title_${l}` as const);
          const dk = l === "fr" ? "description" : (`description_${l}` as const);
          const name = LANGS.find((x) => x.code === l)!.label;
          return (
            <div key={l} lang={l} dir={l === "ar" ? "rtl" : "ltr"} className="row">
              <Field label={t("census.titleIn", { lang: name })}>
                {(p) => <input {...p} required={l === "fr"} maxLength={300} value={texts[tk]} onChange={(e) => setTexts({ ...texts, [tk]: e.target.value })} />}
              </Field>
              <Field label={t("census.descriptionIn", { lang: name })}>
                {(p) => <textarea {...p} rows={2} maxLength={5000} value={texts[dk]} onChange={(e) => setTexts({ ...texts, [dk]: e.target.value })} />}
              </Field>
            </div>
          );
        })}
        <fieldset>
          <legend>{t("census.languages")}</legend>
          {LANGS.map((l) => (
            <label key={l.code} className="check" style={{ marginInlineEnd: "1rem" }}>
              <input
                type="checkbox"
                checked={languages.includes(l.code)}
                onChange={(e) => setLanguages((ls) => (e.target.checked ? [...ls, l.code] : ls.filter((x) => x !== l.code)))}
              />{" "}
              {l.label}
            </label>
          ))}
        </fieldset>
        <div className="row">
          <Field label={t("census.closes")} hint={t("census.closesHint", { zone: zoneName(t, timezone) })}>
            {(p) => <input {...p} type="date" required value={closes} onChange={(e) => setCloses(e.target.value)} />}
          </Field>
          <Field label={t("census.timezone")}>
            {(p) => (
              <select {...p} value={timezone} onChange={(e) => setTimezone(e.target.value)}>
                <option value="Asia/Beirut">{t("events.tz.beirut")}</option>
                <option value="Europe/Paris">{t("events.tz.paris")}</option>
              </select>
            )}
          </Field>
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !texts.title.trim() || !closes || languages.length === 0}>
          {t("census.createCampaign")}
        </button>
      </form>
    </details>
  );
}
