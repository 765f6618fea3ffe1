import { afterEach, describe, expect, it, vi } from "vitest";
import { download, upload } from "./download";
import { ApiError } from "./problem";
import { clearSession, getToken, setSession } from "./session";

const problem401 = () =>
  new Response(JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401 }), {
    status: 401,
    headers: { "Content-Type": "application/problem+json" },
  });

afterEach(() => {
  clearSession();
  vi.unstubAllGlobals();
});

describe("downloads and uploads go through the API client", () => {
  it("send the token, and an expired one (401) signs the person out, as every other call does", async () => {
    for (const go of [
      () => download("/api/v1/exports/needs.csv", "needs.csv"),
      () => upload("/api/v1/imports/needs?dry_run=true", new File(["a;b"], "needs.csv")),
    ]) {
      setSession("expired-token", 3600);
      const seen: string[] = [];
      vi.stubGlobal(
        "fetch",
        vi.fn(async (input: RequestInfo | URL) => {
          seen.push((input as Request).headers.get("Authorization") ?? "");
          return problem401();
        }),
      );
      await expect(go()).rejects.toBeInstanceOf(ApiError);
      expect(seen).toEqual(["Bearer expired-token"]);
      expect(getToken()).toBeNull();
    }
  });
});
