import type { components } from "./schema";

/** The API's problem+json; `code` and `params` are only present on problems the API names. */
export type Problem = Omit<components["schemas"]["Problem"], "code" | "params"> & {
  code?: string | null;
  params?: Record<string, unknown> | null;
};

/** An API answer that was not a success, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem | null, retryAfter: number | null = null) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** Field errors keyed by the field name (the last part of `loc`). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const item of this.problem?.errors ?? []) {
      const loc = item.loc.filter((p) => p !== "body" && p !== "query");
      const key = loc.length ? String(loc[0]) : "";
      if (key && !out[key]) out[key] = item.msg;
    }
    return out;
  }
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "status" in value && "title" in value;
}

/** The i18n key of the sentence telling the person what to do next. */
export function nextStepKey(status: number): string {
  switch (status) {
    case 0:
      return "error.network";
    case 400:
    case 422:
      return "error.invalid";
    case 401:
      return "error.unauthorized";
    case 403:
      return "error.forbidden";
    case 404:
      return "error.notFound";
    case 409:
      return "error.conflict";
    case 412:
      return "error.stale";
    case 413:
      return "error.tooLarge";
    case 429:
      return "error.throttled";
    default:
      return status >= 500 ? "error.server" : "error.generic";
  }
}
