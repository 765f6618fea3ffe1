import { useQuery } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { download, upload } from "../api/download";
import type { components } from "../api/schema";
import { Sentence } from "../components/SystemNote";
import { Async, Badge, ErrorBox, Field, PageHeader } from "../components/ui";
import { isMessageKey, useI18n, type MessageKey } from "../i18n";
import { withQuery } from "../router";
import { useTitle } from "./common";

type Report = components["schemas"]["ImportReport"];
type Kind = components["schemas"]["ImportKind"];
const KINDS: Kind[] = ["collectivities", "needs", "partnerships", "contacts", "events"];
const EXPORTS = ["collectivities", "needs", "partnerships", "contacts", "tags", "partnerships-atlas"] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Imports (upload, dry run with every row error, then apply) and exports. */
export default function Imports() {
  const { t, tv, date, num } = useI18n();
  useTitle(t("nav.imports"));
  const history = useQuery({
    queryKey: ["imports", "Imports.history"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/imports", { params: { query: { limit: 10, sort: "-created_at" } }, signal })),
  });
  return (
    <>
      <PageHeader title={t("nav.imports")}>
        <p className="muted">{t("imp.intro")}</p>
      </PageHeader>
      <ImportForm onDone={() => void history.refetch()} />
      <Exports />
      <section className="card" aria-labelledby="imp-history">
        <h2 id="imp-history">{t("imp.history")}</h2>
        <Async state={history} isEmpty={(d) => d.items.length === 0} empty={t("imp.noHistory")}>
          {(page) => (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.created")}</th>
                    <th scope="col">{t("imp.kind")}</th>
                    <th scope="col">{t("imp.file")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col" className="num">{t("imp.created")}</th>
                    <th scope="col" className="num">{t("imp.updated")}</th>
                    <th scope="col" className="num">{t("imp.errors")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((r) => (
                    <tr key={r.id ?? r.created_at}>
                      <td>{date(r.created_at, true)}</td>
                      <td>{tv("importKind", r.kind)}</td>
                      <td>{r.filename || "—"}</td>
                      <td>
                        <Badge tone={r.status === "done" ? "good" : r.status === "rejected" || r.status === "failed" ? "muted" : "warn"}>
                          {tv("jobStatus", r.status)}
                        </Badge>{" "}
                        {r.dry_run && <small className="muted">{t("imp.dryRun")}</small>}
                      </td>
                      <td className="num">{num(r.created ?? 0)}</td>
                      <td className="num">{num(r.updated ?? 0)}</td>
                      <td className="num">{num(r.error_count ?? 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </section>
    </>
  );
}

function ImportForm({ onDone }: { onDone: () => void }) {
  const { t, tv, num } = useI18n();
  const [kind, setKind] = useState<Kind>("collectivities");
  const [file, setFile] = useState<File | null>(null);
  const [skip, setSkip] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const send = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const path = withQuery(`/api/v1/imports/${kind}`, { dry_run: dryRun ? "true" : "false", on_error: skip ? "skip" : "abort" });
      let { data } = await upload<Report>(path, file);
      // Large files run as a job: poll until it is finished.
      while (data.id && (data.status === "queued" || data.status === "running")) {
        setReport(data);
        await sleep(1000);
        data = await unwrap(api.GET("/api/v1/imports/{import_id}", { params: { path: { import_id: data.id } } }));
      }
      setReport(data);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const check = (e: FormEvent) => {
    e.preventDefault();
    void send(true);
  };
  const errors = report?.errors ?? [];
  const canApply = report?.dry_run && (report.error_count === 0 || skip) && ((report.created ?? 0) + (report.updated ?? 0) > 0);
  return (
    <section className="card" aria-labelledby="imp-form">
      <h2 id="imp-form">{t("imp.upload")}</h2>
      <form className="form" onSubmit={check}>
        <div className="row">
          <Field label={t("imp.kind")}>
            {(p) => (
              <select
                {...p}
                value={kind}
                onChange={(e) => {
                  setKind(e.target.value as Kind);
                  setReport(null);
                }}
              >
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {tv("importKind", k)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("imp.file")} hint={t("imp.fileHint")}>
            {(p) => (
              <input
                {...p}
                ref={fileInput}
                type="file"
                accept=".csv,.xlsx,.json,text/csv,application/json,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                onChange={(e) => {
                  setFile(e.target.files?.[0] ?? null);
                  setReport(null);
                }}
              />
            )}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" checked={skip} onChange={(e) => setSkip(e.target.checked)} /> {t("imp.skip")}
        </label>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!file || busy}>
            {busy ? t("state.working") : t("imp.check")}
          </button>
          <button type="button" className="btn" disabled={!canApply || busy} onClick={() => void send(false)}>
            {t("imp.apply")}
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {report && (
        <div className="import-report" aria-live="polite">
          <p className={`alert ${report.error_count ? "alert-error" : report.committed ? "alert-success" : "alert-info"}`} role="status">
            <strong>{report.dry_run ? t("imp.preview") : report.committed ? t("imp.applied") : t("imp.notApplied")}</strong>{" "}
            {t("imp.counts", {
              created: num(report.created ?? 0),
              updated: num(report.updated ?? 0),
              unchanged: num(report.unchanged ?? 0),
              errors: num(report.error_count ?? 0),
            })}
            {report.status === "queued" || report.status === "running"
              ? ` ${t("imp.progress", { done: num(report.processed ?? 0), total: num(report.total ?? 0) })}`
              : ""}
          </p>
          {report.dry_run && report.error_count === 0 && (report.created ?? 0) + (report.updated ?? 0) > 0 && <p>{t("imp.readyToApply")}</p>}
          {report.dry_run && (report.error_count ?? 0) > 0 && <p>{skip ? t("imp.willSkip") : t("imp.fixFirst")}</p>}
          {errors.length > 0 && (
            <div className="table-wrap">
              <table className="table">
                <caption>{t("imp.rowErrors", { n: num(report.error_count ?? errors.length) })}</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">{t("imp.row")}</th>
                    <th scope="col">{t("imp.column")}</th>
                    <th scope="col">{t("imp.message")}</th>
                  </tr>
                </thead>
                <tbody>
                  {errors.map((e, i) => (
                    <tr key={i}>
                      <td className="num">{e.row}</td>
                      <td>
                        <code>{e.field || "—"}</code>
                      </td>
                      <td>
                        <ImportError issue={e} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

function Exports() {
  const { t, tv, lang } = useI18n();
  const [format, setFormat] = useState<"csv" | "xlsx" | "json">("csv");
  const [error, setError] = useState<unknown>(null);
  const get = async (what: (typeof EXPORTS)[number]) => {
    setError(null);
    try {
      const people = format !== "json" && (what === "collectivities" || what === "needs") ? `?lang=${lang}` : "";
      await download(`/api/v1/exports/${what}.${format}${people}`, `jisr-${what}.${format}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="card" aria-labelledby="exp-title">
      <h2 id="exp-title">{t("exp.title")}</h2>
      <p className="hint">{t("exp.hint")}</p>
      <ErrorBox error={error} />
      <div className="inline-form">
        <Field label={t("exp.format")}>
          {(p) => (
            <select {...p} value={format} onChange={(e) => setFormat(e.target.value as typeof format)}>
              <option value="csv">CSV (Excel)</option>
              <option value="xlsx">XLSX</option>
              <option value="json">JSON</option>
            </select>
          )}
        </Field>
      </div>
      <ul className="exports">
        {EXPORTS.map((what) => (
          <li key={what}>
            <button type="button" className="btn" onClick={() => void get(what)}>
              {t("exp.download", { what: tv("exportKind", what) })}
            </button>
          </li>
        ))}
      </ul>
      <p className="hint">{t("exp.filtersHint" as MessageKey)}</p>
    </section>
  );
}

type Issue = components["schemas"]["ImportIssue"];
const SUGGESTED = new Set(["no_collectivity", "unknown_tag"]);

/** An import error in the reader's language when the API gives its key (`imp.err.<code>`), else as the API
 * wrote it (in the language of the file's headers); the values from the file isolated in `<bdi>`. */
export function ImportError({ issue }: { issue: Issue }) {
  const { t } = useI18n();
  const key = `imp.err.${issue.code}`;
  if (!issue.code || !isMessageKey(key)) return <>{issue.message}</>;
  const vars: Record<string, string | number> = {};
  const data: string[] = [];
  for (const [name, value] of Object.entries(issue.params ?? {})) {
    if (name === "suggestions" || value === null || value === undefined) continue;
    vars[name] = Array.isArray(value) ? value.join(", ") : value;
    if (typeof value === "string") data.push(name);
  }
  const suggestions = SUGGESTED.has(issue.code) && Array.isArray(issue.params?.suggestions) ? issue.params.suggestions.slice(0, 2) : [];
  return (
    <>
      <Sentence k={key} vars={vars} data={data} />
      {suggestions.length > 0 && <Sentence k="imp.err.didYouMean" vars={{ suggestion: suggestions.join(t("imp.err.or")) }} data={["suggestion"]} />}
    </>
  );
}
