import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, unwrap } from "./api/client";
import type { components } from "./api/schema";
import { clearSession, getToken, onSessionChange, setSession } from "./api/session";

export type Me = components["schemas"]["Me"];
export type Role = components["schemas"]["Role"];

interface Auth {
  me: Me | null;
  /** true while the saved session is being checked at start */
  checking: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => void;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState<boolean>(() => getToken() !== null);

  const loadMe = useCallback(async () => {
    try {
      setMe(await unwrap(api.GET("/api/v1/auth/me")));
    } catch {
      clearSession();
      setMe(null);
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    if (getToken()) void loadMe();
    return onSessionChange((s) => {
      if (!s) setMe(null);
    });
  }, [loadMe]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const token = await unwrap(
        api.POST("/api/v1/auth/token", {
          body: { grant_type: "password", username: email, password, scope: "" },
          bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      );
      setSession(token.access_token, token.expires_in);
      await loadMe();
    },
    [loadMe],
  );

  const signOut = useCallback(() => {
    clearSession();
    setMe(null);
  }, []);

  const value = useMemo(() => ({ me, checking, signIn, signOut }), [me, checking, signIn, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const v = useContext(Ctx);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}

export const isStaff = (me: Me | null) => me?.role === "admin" || me?.role === "coordinator";
export const canEdit = (me: Me | null) => isStaff(me) || me?.role === "member";
