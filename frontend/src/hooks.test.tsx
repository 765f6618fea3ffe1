import { render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeQueryClient, QueryProvider } from "./api/query";
import { clearSession, setSession } from "./api/session";
import { AuthProvider } from "./auth";
import { collectivityName } from "./components/CollectivityPicker";
import { useCollectivities, type Collectivity, type Need } from "./hooks";
import { I18nProvider } from "./i18n";
import Matching from "./pages/Matching";

const collectivity = (id: string, name: string): Collectivity =>
  ({ id, name, country: "FR", kind: "commune" }) as unknown as Collectivity;
const need = (id: string, title: string): Need => ({ id, title }) as unknown as Need;
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const page = <T,>(items: T[]) => json({ items, total: items.length, limit: 50, offset: 0 });

/** A fake API: collectivities and needs by id (one GET each, or a list filtered with `?id=`), matches by status;
 * `fail` answers 500 to the next n calls. Every request is recorded. */
function fakeApi(rows: { collectivities: Collectivity[]; needs: Need[]; matches?: unknown[] }) {
  const requests: URL[] = [];
  let fail = 0;
  const handler = async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input), "http://localhost");
    requests.push(url);
    if (fail > 0) {
      fail -= 1;
      return json({ type: "about:blank", title: "Internal Server Error", status: 500 }, 500);
    }
    for (const [kind, list] of [
      ["collectivities", rows.collectivities],
      ["needs", rows.needs],
    ] as const) {
      const one = url.pathname.match(new RegExp(`^/api/v1/${kind}/([^/]+)$`));
      if (one) {
        const row = (list as { id: string }[]).find((r) => r.id === one[1]);
        return row ? json(row) : json({ status: 404 }, 404);
      }
      if (url.pathname === `/api/v1/${kind}`) {
        const ids = url.searchParams.getAll("id");
        return page((list as { id: string }[]).filter((r) => ids.length === 0 || ids.includes(r.id)));
      }
    }
    if (url.pathname === "/api/v1/matches") {
      return page(url.searchParams.get("status") === "proposed" ? (rows.matches ?? []) : []);
    }
    return json({ status: 404 }, 404);
  };
  return {
    requests,
    failNext: (n: number) => {
      fail = n;
    },
    fetch: vi.fn(handler),
  };
}

function Names({ ids }: { ids: string[] }) {
  const names = useCollectivities(ids);
  return <p>{ids.map((id) => collectivityName(names[id], "fr")).join(", ")}</p>;
}

describe("server state (TanStack Query)", () => {
  let restore: typeof globalThis.fetch;
  beforeEach(() => {
    restore = globalThis.fetch;
  });
  afterEach(() => {
    globalThis.fetch = restore;
    clearSession();
  });

  it("asks again for a collectivity whose first read failed, instead of keeping it as unknown", async () => {
    const api = fakeApi({ collectivities: [collectivity("c-retry", "Lyon")], needs: [] });
    globalThis.fetch = api.fetch;
    const client = makeQueryClient();
    api.failNext(1);
    const first = render(
      <QueryProvider client={client}>
        <Names ids={["c-retry"]} />
      </QueryProvider>,
    );
    await waitFor(() => expect(api.requests.length).toBe(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(first.container.textContent).toBe("…");
    first.unmount();
    // The next screen that names it reads it again.
    render(
      <QueryProvider client={client}>
        <Names ids={["c-retry"]} />
      </QueryProvider>,
    );
    expect(await screen.findByText("Lyon")).toBeTruthy();
    expect(api.requests.length).toBe(2);
  });

  it("reads the partners and needs of every card on the board in one request each, however many cards", async () => {
    const french = ["f1", "f2", "f3", "f4"].map((id, i) => collectivity(id, `Ville ${i + 1}`));
    const lebanese = ["l1", "l2", "l3"].map((id, i) => ({ ...collectivity(id, `Baladiyat ${i + 1}`), country: "LB" }));
    const needs = ["n1", "n2", "n3"].map((id, i) => need(id, `Besoin ${i + 1}`));
    const matches = french.map((f, i) => ({
      id: `m${i}`,
      need_id: needs[i % 3].id,
      lebanese_collectivity_id: lebanese[i % 3].id,
      french_collectivity_ids: [f.id],
      status: "proposed",
      kind: "new",
      score: 0.5,
      rank: 1,
      pooled: false,
      reasons: [],
      history: [],
      allowed_transitions: [],
    }));
    const api = fakeApi({ collectivities: [...french, ...lebanese] as Collectivity[], needs, matches });
    globalThis.fetch = api.fetch;
    window.history.replaceState(null, "", "/matching");
    render(
      <I18nProvider initial="fr">
        <QueryProvider client={makeQueryClient()}>
          <AuthProvider>
            <Matching />
          </AuthProvider>
        </QueryProvider>
      </I18nProvider>,
    );
    expect(await screen.findByText("Besoin 3")).toBeTruthy();
    expect(await screen.findByText("Ville 4")).toBeTruthy();
    const to = (path: string) => api.requests.filter((u) => u.pathname.startsWith(path));
    expect(to("/api/v1/collectivities")).toHaveLength(1);
    expect(to("/api/v1/needs")).toHaveLength(1);
    expect(to("/api/v1/collectivities")[0].searchParams.getAll("id").sort()).toEqual(["f1", "f2", "f3", "f4", "l1", "l2", "l3"]);
  });

  it("forgets every answer when the session ends (the next person signing in sees only theirs)", async () => {
    const api = fakeApi({ collectivities: [collectivity("c-session", "Nantes")], needs: [] });
    globalThis.fetch = api.fetch;
    setSession("token", 3600);
    const client = makeQueryClient();
    render(
      <QueryProvider client={client}>
        <Names ids={["c-session"]} />
      </QueryProvider>,
    );
    expect(await screen.findByText("Nantes")).toBeTruthy();
    expect(client.getQueryCache().getAll().length).toBeGreaterThan(0);
    clearSession();
    expect(client.getQueryCache().getAll()).toHaveLength(0);
  });
});
