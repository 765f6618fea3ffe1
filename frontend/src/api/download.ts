import { ApiError, isProblem } from "./problem";
import { getToken } from "./session";

/** Fetch a file from the API with the bearer token and hand it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
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
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** POST a file (multipart, field `file`) with the bearer token; returns the JSON answer. */
export async function upload<T>(path: string, file: File): Promise<{ status: number; data: T; location: string | null }> {
  const token = getToken();
  const body = new FormData();
  body.append("file", file);
  let res: Response;
  try {
    res = await fetch(path, { method: "POST", body, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw new ApiError(0, null);
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    /* empty */
  }
  if (!res.ok) throw new ApiError(res.status, isProblem(json) ? json : null);
  return { status: res.status, data: json as T, location: res.headers.get("Location") };
}
