import createClient from "openapi-fetch";
import { ApiError, isProblem } from "./problem";
import type { paths } from "./schema";
import { clearSession, getToken } from "./session";

/**
 * Every request to the API goes through here — typed calls (`api`), downloads and uploads alike: the bearer token on
 * the way out; an expired or revoked token (401) is forgotten, so the app shows the sign-in page.
 * `fetch` is looked up at call time (not captured once), so tests and polyfills can replace it.
 */
export async function send(request: Request): Promise<Response> {
  const token = getToken();
  if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
  const response = await globalThis.fetch(request);
  if (response.status === 401 && request.headers.has("Authorization")) clearSession();
  return response;
}

export const api = createClient<paths>({ baseUrl: "", fetch: send });

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call; return its data or throw an ApiError (problem+json). */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, null);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  const retry = Number(response.headers.get("Retry-After"));
  throw new ApiError(response.status, isProblem(error) ? error : null, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/** The ETag of a single resource answer, for If-Match on the next PATCH. */
export function etagOf(response: Response): string | undefined {
  return response.headers.get("ETag") ?? undefined;
}
