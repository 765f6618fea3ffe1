import { keepPreviousData, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { onSessionChange } from "./session";

/**
 * Server state lives in TanStack Query's cache. The app's choices:
 * - no automatic retry (an error shows with its Retry button, as before) and no refetch on window focus;
 * - a list keeps showing its previous answer while the next one (new filters, next page) loads;
 * - a failed request is never kept as an answer: the next screen that needs it asks again.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, placeholderData: keepPreviousData },
      mutations: { retry: false },
    },
  });
}

/** The app's query client; the cache is emptied when the session ends (another person may sign in next). */
export function QueryProvider({ client, children }: { client?: QueryClient; children: ReactNode }) {
  const [qc] = useState(() => client ?? makeQueryClient());
  useEffect(
    () =>
      onSessionChange((s) => {
        if (!s) qc.clear();
      }),
    [qc],
  );
  return <QueryClientProvider client={qc}>{children}</QueryClientProvider>;
}
