import { useEffect, useState } from "react";
import { useDebounced } from "../hooks";
import { navigate, useLocation, withQuery } from "../router";

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Jisr`;
  }, [title]);
}

/** Filters kept in the URL query (so reload, back and shared links keep them). */
export function useQueryState<K extends string>(keys: readonly K[]): [Record<K, string>, (patch: Partial<Record<K, string | number | null>>) => void] {
  const { path, query } = useLocation();
  const values = Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ""])) as Record<K, string>;
  const set = (patch: Partial<Record<K, string | number | null>>) => {
    // Read the live URL, not this render's copy: two quick changes must not undo each other.
    const live = new URLSearchParams(window.location.search);
    const current = Object.fromEntries(keys.map((k) => [k, live.get(k) ?? ""]));
    const next: Record<string, string | number | null | undefined> = { ...current, ...patch };
    // Changing a filter goes back to the first page.
    if (!("offset" in patch)) delete next.offset;
    navigate(withQuery(window.location.pathname || path, next), { replace: true });
  };
  return [values, set];
}

/** A search box's text, written to the URL's `q` once typing pauses (300 ms). */
export function useSearchText(q: string, set: (patch: { q: string }) => void): [string, (text: string) => void] {
  const [text, setText] = useState(q);
  const typed = useDebounced(text, 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new pause in typing writes (q and set change with the URL)
  useEffect(() => {
    if (typed !== q) set({ q: typed });
  }, [typed]);
  return [text, setText];
}
