import { send } from "./client";
import { ApiError, isProblem } from "./problem";

/** Send a request through the API client (token, 401 handling); a failure is an ApiError (problem+json). */
async function call(request: Request): Promise<Response> {
  let res: Response;
  try {
    res = await send(request);
  } catch {
    throw new ApiError(0, null);
  }
  if (!res.ok) {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, isProblem(body) ? body : null);
  }
  return res;
}

/** Fetch a file from the API and hand it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await call(new Request(path))).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** POST a file (multipart, field `file`); returns the JSON answer. */
export async function upload<T>(path: string, file: File): Promise<{ status: number; data: T; location: string | null }> {
  const body = new FormData();
  body.append("file", file);
  const res = await call(new Request(path, { method: "POST", body }));
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    /* empty */
  }
  return { status: res.status, data: json as T, location: res.headers.get("Location") };
}
