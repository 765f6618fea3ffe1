import { afterEach, describe, expect, it, vi } from "vitest";
import { clearSession, getToken, onSessionChange, setSession } from "./session";

afterEach(() => {
  clearSession();
  vi.useRealTimers();
});

describe("session", () => {
  it("keeps the token in sessionStorage, never in localStorage", () => {
    setSession("abc", 3600);
    expect(getToken()).toBe("abc");
    expect(sessionStorage.getItem("jisr.session")).toContain("abc");
    expect(JSON.stringify({ ...localStorage })).not.toContain("abc");
  });

  it("forgets an expired token and tells listeners", () => {
    vi.useFakeTimers();
    const seen: (string | null)[] = [];
    const off = onSessionChange((s) => seen.push(s?.token ?? null));
    setSession("short", 60);
    expect(getToken()).toBe("short");
    vi.advanceTimersByTime(61_000);
    expect(getToken()).toBeNull();
    expect(sessionStorage.getItem("jisr.session")).toBeNull();
    expect(seen).toEqual(["short", null]);
    off();
  });

  it("signs out", () => {
    setSession("abc", 3600);
    clearSession();
    expect(getToken()).toBeNull();
  });
});
