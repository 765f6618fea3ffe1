import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, isProblem } from "./problem";
import type { paths } from "./schema";
import { clearSession, getToken } from "./session";

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    // An expired or revoked token: forget it so the app shows the sign-in page.
    if (response.status === 401 && request.headers.has("Authorization")) clearSession();
    return response;
  },
};

// `fetch` is looked up at call time (not captured once), so tests and polyfills can replace it.
export const api = createClient<paths>({ baseUrl: "", fetch: (request) => globalThis.fetch(request) });
api.use(auth);

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
