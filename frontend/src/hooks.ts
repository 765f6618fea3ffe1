import { queryOptions, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "./api/client";
import type { components } from "./api/schema";

export type Tag = components["schemas"]["ThematicTagPublic"];
export type Governorate = components["schemas"]["Governorate"];
export type Collectivity = components["schemas"]["CollectivityPublic"];
export type Need = components["schemas"]["NeedPublic"];

// Reference data shared by many screens: read once per session, then from the cache.
export const tagsQuery = queryOptions({
  queryKey: ["tags"],
  queryFn: ({ signal }) =>
    unwrap(api.GET("/api/v1/tags", { params: { query: { limit: 500, sort: "position" } }, signal })).then((p) => p.items),
  staleTime: Infinity,
});
export const useTags = () => useQuery(tagsQuery);

export const governoratesQuery = queryOptions({
  queryKey: ["governorates"],
  queryFn: ({ signal }) => unwrap(api.GET("/api/v1/reference/lebanon", { signal })),
  staleTime: Infinity,
});
export const useGovernorates = () => useQuery(governoratesQuery);

/** The cache key of one record read by id (`["collectivities", id]`, `["needs", id]`). */
export const recordKey = (kind: "collectivities" | "needs", id: string) => [kind, "one", id] as const;

/** One collectivity by id, from the cache if a screen read it already. */
export function fetchCollectivity(qc: QueryClient, id: string): Promise<Collectivity> {
  return qc.fetchQuery({
    queryKey: recordKey("collectivities", id),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/collectivities/{collectivity_id}", { params: { path: { collectivity_id: id } }, signal })),
    staleTime: Infinity,
  });
}

/** Keep collectivities a list just returned, so screens naming them need not ask again. */
export function rememberCollectivities(qc: QueryClient, rows: Collectivity[]): void {
  for (const c of rows) qc.setQueryData(recordKey("collectivities", c.id), c);
}

// At most this many ids per list call (the API's bound on `?id=`).
const BATCH = 100;

/**
 * Records named by id on a screen (partners on a proposal card, needs on the board): those not in the cache are
 * read with one list call per 100 ids (`?id=…&id=…`), not one GET each, then cached one by one. An id the API does
 * not return maps to null for this answer only; a failed call is not cached (the next screen asks again).
 */
function useByIds<T extends { id: string }>(
  kind: "collectivities" | "needs",
  load: (ids: string[], signal: AbortSignal) => Promise<T[]>,
  ids: (string | null | undefined)[],
): Record<string, T | null> {
  const qc = useQueryClient();
  const wanted = [...new Set(ids.filter((x): x is string => !!x))].sort();
  const { data } = useQuery({
    queryKey: [kind, "byIds", wanted],
    enabled: wanted.length > 0,
    queryFn: async ({ signal }) => {
      const known = (id: string) => {
        const state = qc.getQueryState<T>(recordKey(kind, id));
        return state?.data !== undefined && !state.isInvalidated ? state.data : undefined;
      };
      const missing = wanted.filter((id) => known(id) === undefined);
      for (let i = 0; i < missing.length; i += BATCH) {
        for (const row of await load(missing.slice(i, i + BATCH), signal)) qc.setQueryData(recordKey(kind, row.id), row);
      }
      return Object.fromEntries(wanted.map((id) => [id, known(id) ?? null]));
    },
  });
  return data ?? {};
}

const loadCollectivities = (ids: string[], signal: AbortSignal) =>
  unwrap(api.GET("/api/v1/collectivities", { params: { query: { id: ids, limit: ids.length } }, signal })).then(
    (p) => p.items,
  );
export const useCollectivities = (ids: (string | null | undefined)[]) =>
  useByIds<Collectivity>("collectivities", loadCollectivities, ids);

const loadNeeds = (ids: string[], signal: AbortSignal) =>
  unwrap(api.GET("/api/v1/needs", { params: { query: { id: ids, limit: ids.length } }, signal })).then((p) => p.items);
export const useNeeds = (ids: (string | null | undefined)[]) => useByIds<Need>("needs", loadNeeds, ids);

/** Debounce a value (search boxes). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}
