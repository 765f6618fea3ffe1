import { useCallback, useEffect, useRef, useState } from "react";
import { api, unwrap } from "./api/client";
import type { components } from "./api/schema";

export type Tag = components["schemas"]["ThematicTagPublic"];
export type Governorate = components["schemas"]["Governorate"];
export type Collectivity = components["schemas"]["CollectivityPublic"];

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run an async loader when deps change; keeps the previous data while reloading. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    setError(null);
    loadRef
      .current(ctrl.signal)
      .then((d) => {
        if (!ctrl.signal.aborted) setData(d);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

// Reference data shared by many screens, fetched once per page load.
let tagsPromise: Promise<Tag[]> | null = null;
export function loadTags(): Promise<Tag[]> {
  tagsPromise ??= unwrap(api.GET("/api/v1/tags", { params: { query: { limit: 500, sort: "position" } } }))
    .then((p) => p.items)
    .catch((e) => {
      tagsPromise = null;
      throw e;
    });
  return tagsPromise;
}
export const useTags = () => useAsync(() => loadTags(), []);

let geoPromise: Promise<Governorate[]> | null = null;
export function loadGovernorates(): Promise<Governorate[]> {
  geoPromise ??= unwrap(api.GET("/api/v1/reference/lebanon")).catch((e) => {
    geoPromise = null;
    throw e;
  });
  return geoPromise;
}
export const useGovernorates = () => useAsync(() => loadGovernorates(), []);

const names = new Map<string, Promise<Collectivity | null>>();
/** One collectivity by id, cached for the page's life (used to show partner names). */
export function loadCollectivity(id: string): Promise<Collectivity | null> {
  let p = names.get(id);
  if (!p) {
    p = unwrap(api.GET("/api/v1/collectivities/{collectivity_id}", { params: { path: { collectivity_id: id } } })).catch(
      () => null,
    );
    names.set(id, p);
  }
  return p;
}
export function rememberCollectivity(c: Collectivity): void {
  names.set(c.id, Promise.resolve(c));
}
export function forgetCollectivity(id: string): void {
  names.delete(id);
}

export function useCollectivities(ids: (string | null | undefined)[]): Record<string, Collectivity | null> {
  const key = [...new Set(ids.filter((x): x is string => !!x))].sort().join(",");
  const { data } = useAsync(async () => {
    const list = key ? key.split(",") : [];
    const rows = await Promise.all(list.map((id) => loadCollectivity(id)));
    return Object.fromEntries(list.map((id, i) => [id, rows[i]]));
  }, [key]);
  return data ?? {};
}

/** Debounce a value (search boxes). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}

export type Need = components["schemas"]["NeedPublic"];
const needCache = new Map<string, Promise<Need | null>>();
export function loadNeed(id: string): Promise<Need | null> {
  let p = needCache.get(id);
  if (!p) {
    p = unwrap(api.GET("/api/v1/needs/{need_id}", { params: { path: { need_id: id } } })).catch(() => null);
    needCache.set(id, p);
  }
  return p;
}
export function useNeeds(ids: (string | null | undefined)[]): Record<string, Need | null> {
  const key = [...new Set(ids.filter((x): x is string => !!x))].sort().join(",");
  const { data } = useAsync(async () => {
    const list = key ? key.split(",") : [];
    const rows = await Promise.all(list.map((id) => loadNeed(id)));
    return Object.fromEntries(list.map((id, i) => [id, rows[i]]));
  }, [key]);
  return data ?? {};
}
