import { useId, type ReactNode } from "react";
import { ApiError, nextStepKey } from "../api/problem";
import { isMessageKey, useI18n, type Lang, type MessageKey, type Vars } from "../i18n";

/** A problem's parameters as message variables; in Arabic, a name the API also sends in Arabic (`french_ar` beside
 * `french`) is said in Arabic. */
export function problemVars(params: Record<string, unknown> | null | undefined, lang?: Lang): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(params ?? {})) if (typeof v === "string" || typeof v === "number") out[k] = v;
  if (lang === "ar") {
    for (const k of Object.keys(out)) {
      const ar = out[`${k}_ar`];
      if (!k.endsWith("_ar") && ar !== undefined && ar !== "") out[k] = ar;
    }
  }
  return out;
}

/** The one sentence an API error is shown as: the problem's own `code` when the app knows it, else the next step by status. */
export function errorSentence(
  error: unknown,
  t: (key: MessageKey, vars?: Vars) => string,
  lang?: Lang,
): string {
  const status = error instanceof ApiError ? error.status : 0;
  const problem = error instanceof ApiError ? error.problem : null;
  const minutes = error instanceof ApiError && error.retryAfter ? Math.ceil(error.retryAfter / 60) : 15;
  const codeKey = problem?.code ? `problem.${problem.code}` : "";
  if (isMessageKey(codeKey)) return t(codeKey, { minutes, ...problemVars(problem?.params, lang) });
  return t(nextStepKey(status) as MessageKey, { minutes });
}

/** An API error as one sentence in the person's language; the technical detail folded away underneath. */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, lang } = useI18n();
  if (!error) return null;
  const status = error instanceof ApiError ? error.status : 0;
  const problem = error instanceof ApiError ? error.problem : null;
  // A problem the API names with a code has its own sentence, which replaces the API's English detail too.
  const coded = isMessageKey(problem?.code ? `problem.${problem.code}` : "");
  const detail = coded ? null : problem ? problem.detail : error instanceof Error ? error.message : null;
  const fields = problem?.errors ?? [];
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{errorSentence(error, t, lang)}</p>
      {(detail || fields.length > 0) && (
        <details className="alert-detail">
          <summary>{t("error.technical")}</summary>
          {detail && (
            <p dir="auto" lang="en">
              {detail}
            </p>
          )}
          {fields.length > 0 && (
            <ul>
              {fields.map((f, i) => (
                <li key={i} dir="auto" lang="en">
                  <code>{f.loc.filter((p) => p !== "body").join(".")}</code> — {f.msg}
                </li>
              ))}
            </ul>
          )}
        </details>
      )}
      {onRetry && status !== 403 && status !== 404 && (
        <button type="button" className="btn" onClick={onRetry}>
          {t("action.retry")}
        </button>
      )}
    </div>
  );
}

/**
 * Text written by a person or read from data (a name, a title, a note), isolated from the page's direction:
 * an Arabic name on a French page (or a French one on an Arabic page) keeps its own direction and does not
 * pull the punctuation around it to the wrong side.
 */
export function Bdi({ children, className, lang }: { children: ReactNode; className?: string; lang?: string }) {
  if (children === null || children === undefined || children === "") return null;
  return (
    <bdi dir="auto" className={className} lang={lang}>
      {children}
    </bdi>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label ?? t("state.loading")}
    </p>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useI18n();
  return <p className="empty">{children ?? t("state.empty")}</p>;
}

/** Loading / error / empty / content for one async value. */
export function Async<T>({
  state,
  isEmpty,
  empty,
  children,
}: {
  /** A query's answer (TanStack Query's useQuery result fits). */
  state: { data: T | undefined; error: unknown; refetch: () => unknown };
  isEmpty?: (d: T) => boolean;
  empty?: ReactNode;
  children: (d: T) => ReactNode;
}) {
  if (state.error) return <ErrorBox error={state.error} onRetry={() => void state.refetch()} />;
  if (state.data === undefined) return <Loading />;
  if (isEmpty?.(state.data)) return <Empty>{empty}</Empty>;
  return <>{children(state.data)}</>;
}

/** A labelled form control with its error message, wired for screen readers. */
export function Field({
  id: fixedId,
  label,
  error,
  hint,
  children,
}: {
  id?: string;
  label: string;
  error?: string;
  hint?: string;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
}) {
  const autoId = useId();
  const id = fixedId ?? autoId;
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-err`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Pagination({
  total,
  limit,
  offset,
  onChange,
}: {
  total: number;
  limit: number;
  offset: number;
  onChange: (offset: number) => void;
}) {
  const { t, num } = useI18n();
  if (total <= 0) return null;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav className="pagination" aria-label={t("pagination.label")}>
      <button type="button" className="btn" disabled={offset <= 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        <span aria-hidden="true" className="flip">
          ‹
        </span>{" "}
        {t("pagination.previous")}
      </button>
      <span aria-live="polite">
        {t("pagination.range", {
          from: num(offset + 1),
          to: num(Math.min(offset + limit, total)),
          total: num(total),
          page: num(page),
          pages: num(pages),
        })}
      </span>
      <button type="button" className="btn" disabled={offset + limit >= total} onClick={() => onChange(offset + limit)}>
        {t("pagination.next")}{" "}
        <span aria-hidden="true" className="flip">
          ›
        </span>
      </button>
    </nav>
  );
}

export function Badge({ tone = "neutral", children }: { tone?: string; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>
          <Bdi>{title}</Bdi>
        </h1>
        {children}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/** Tone of a status badge. */
export function toneOf(status: string): string {
  switch (status) {
    case "active":
    case "open":
    case "accepted":
    case "partnership_formed":
    case "matched":
    case "attended":
    case "submitted":
      return "good";
    case "dormant":
    case "in_discussion":
    case "shortlisted":
    case "contacted":
    case "meeting_scheduled":
    case "draft":
    case "planned":
    case "pending":
      return "warn";
    case "ended":
    case "closed":
    case "declined":
    case "rejected":
    case "expired":
    case "cancelled":
    case "absent":
      return "muted";
    default:
      return "neutral";
  }
}
