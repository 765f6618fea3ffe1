// The access token lives in memory and in sessionStorage (one tab, gone when it closes),
// never in localStorage; it is dropped as soon as it expires.
const KEY = "jisr.session";
const SKEW_MS = 30_000;

export interface Session {
  token: string;
  expiresAt: number; // epoch ms
}

type Listener = (s: Session | null) => void;

let current: Session | null = read();
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setTimeout> | undefined;

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== "string" || typeof s.expiresAt !== "number") return null;
    return s.expiresAt - SKEW_MS > Date.now() ? s : null;
  } catch {
    return null;
  }
}

function arm(): void {
  if (timer) clearTimeout(timer);
  if (current) {
    const delay = Math.max(0, current.expiresAt - SKEW_MS - Date.now());
    // setTimeout's limit is ~24.8 days; tokens live for minutes.
    timer = setTimeout(() => clearSession(), Math.min(delay, 2_000_000_000));
  }
}

function emit(): void {
  for (const fn of listeners) fn(current);
}

export function getSession(): Session | null {
  if (current && current.expiresAt - SKEW_MS <= Date.now()) {
    clearSession();
  }
  return current;
}

export function getToken(): string | null {
  return getSession()?.token ?? null;
}

export function setSession(token: string, expiresInSeconds: number): void {
  current = { token, expiresAt: Date.now() + expiresInSeconds * 1000 };
  try {
    sessionStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    /* private mode: memory only */
  }
  arm();
  emit();
}

export function clearSession(): void {
  const had = current !== null;
  current = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* ignore */
  }
  if (timer) clearTimeout(timer);
  if (had) emit();
}

export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

arm();
