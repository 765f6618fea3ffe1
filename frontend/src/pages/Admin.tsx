import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useAuth } from "../auth";
import { CollectivityPicker } from "../components/CollectivityPicker";
import { Bdi, Async, Badge, ErrorBox, Field, PageHeader, Pagination } from "../components/ui";
import { EnumSelect } from "../components/EnumSelect";
import { LANGS, useI18n } from "../i18n";
import { Link, withQuery } from "../router";
import { useQueryState, useTitle } from "./common";
import Audit from "./Audit";
import Outbox from "./Outbox";
import Webhooks from "./Webhooks";

type Role = components["schemas"]["Role"];
type Lang = components["schemas"]["Language"];
const ROLES: Role[] = ["admin", "coordinator", "member", "viewer"];
const LIMIT = 50;
const TABS = ["users", "clients", "webhooks", "outbox", "audit"] as const;

export default function Admin() {
  const { t } = useI18n();
  useTitle(t("nav.admin"));
  const [f] = useQueryState(["tab"] as const);
  const tab = TABS.find((x) => x === f.tab) ?? "users";
  const Screen = SCREENS[tab];
  return (
    <>
      <PageHeader title={t("nav.admin")} />
      <nav className="tabs" aria-label={t("nav.admin")}>
        <ul>
          {TABS.map((x) => (
            <li key={x}>
              <Link to={x === "users" ? "/admin" : withQuery("/admin", { tab: x })} aria-current={tab === x ? "page" : undefined}>
                {t(`admin.${x}`)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Screen />
    </>
  );
}

function Users() {
  const { t, tv, date } = useI18n();
  const { me } = useAuth();
  const [f, set] = useQueryState(["q", "role", "offset"] as const);
  const offset = Number(f.offset) || 0;
  const [rowError, setRowError] = useState<unknown>(null);
  const list = useQuery({
    queryKey: ["users", "Admin.list", f.q, f.role, offset],
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/users", {
          params: { query: { q: f.q || undefined, role: (f.role || undefined) as Role | undefined, limit: LIMIT, offset, sort: "email" } },
          signal,
        }),
      ),
  });
  const update = async (id: string, body: components["schemas"]["UserUpdate"]) => {
    setRowError(null);
    try {
      await unwrap(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: id } }, body }));
      void list.refetch();
    } catch (e) {
      setRowError(e);
    }
  };
  return (
    <>
      <NewUser onCreated={() => void list.refetch()} />
      <section aria-labelledby="users-title">
        <h2 id="users-title">{t("admin.users")}</h2>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <Field label={t("dir.search")}>{(p) => <input {...p} type="search" defaultValue={f.q} onChange={(e) => set({ q: e.target.value })} />}</Field>
          <Field label={t("field.role")}>
            {(p) => (
              <EnumSelect {...p} value={f.role} values={ROLES} label={(r) => tv("role", r)} onChange={(v) => set({ role: v })} />
            )}
          </Field>
        </form>
        <ErrorBox error={rowError} />
        <Async state={list} isEmpty={(d) => d.items.length === 0}>
          {(page) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">{t("field.email")}</th>
                      <th scope="col">{t("field.fullName")}</th>
                      <th scope="col">{t("field.role")}</th>
                      <th scope="col">{t("field.active")}</th>
                      <th scope="col">{t("field.created")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((u) => (
                      <tr key={u.id} className={u.is_active ? undefined : "row-muted"}>
                        <td>{u.email}</td>
                        <td>{u.full_name || "—"}</td>
                        <td>
                          <select
                            aria-label={t("admin.roleOf", { who: u.email })}
                            value={u.role}
                            disabled={u.id === me?.id}
                            onChange={(e) => update(u.id, { role: e.target.value as Role })}
                          >
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {tv("role", r)}
                              </option>
                            ))}
                          </select>
                        </td>
                        <td>
                          <label className="check">
                            <input
                              type="checkbox"
                              checked={u.is_active}
                              disabled={u.id === me?.id}
                              onChange={(e) => update(u.id, { is_active: e.target.checked })}
                            />{" "}
                            <span className="visually-hidden">{t("admin.activeOf", { who: u.email })}</span>
                            {u.is_active ? t("common.yes") : t("common.no")}
                          </label>
                        </td>
                        <td>{date(u.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={(o) => set({ offset: o })} />
            </>
          )}
        </Async>
      </section>
    </>
  );
}

function NewUser({ onCreated }: { onCreated: () => void }) {
  const { t, tv } = useI18n();
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [role, setRole] = useState<Role>("coordinator");
  const [language, setLanguage] = useState<Lang>("fr");
  const [collectivity, setCollectivity] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const u = await unwrap(
        api.POST("/api/v1/users", {
          body: { email, full_name: fullName, role, language, password, collectivity_id: role === "member" ? collectivity : null, is_active: true },
        }),
      );
      setDone(t("admin.userCreated", { who: u.email }));
      setEmail("");
      setFullName("");
      setPassword("");
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card">
      <summary>{t("admin.newUser")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={error} />
        {done && (
          <p className="alert alert-success" role="status">
            {done}
          </p>
        )}
        <div className="row">
          <Field label={t("field.email")}>{(p) => <input {...p} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
          <Field label={t("field.fullName")}>{(p) => <input {...p} value={fullName} onChange={(e) => setFullName(e.target.value)} />}</Field>
        </div>
        <div className="row">
          <Field label={t("field.role")}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {tv("role", r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("field.language")}>
            {(p) => (
              <select {...p} value={language} onChange={(e) => setLanguage(e.target.value as Lang)}>
                {LANGS.map((l) => (
                  <option key={l.code} value={l.code}>
                    {l.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t("field.password")} hint={t("admin.passwordHint")}>
            {(p) => <input {...p} type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
        </div>
        {role === "member" && (
          <Field label={t("field.collectivity")}>
            {(p) => <CollectivityPicker id={p.id} value={collectivity} onChange={(id) => setCollectivity(id)} />}
          </Field>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t("admin.createUser")}
        </button>
      </form>
    </details>
  );
}

function Clients() {
  const { t, tv, date } = useI18n();
  const [offset, setOffset] = useState(0);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [secret, setSecret] = useState<{ client_id: string; client_secret: string; name: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const list = useQuery({
    queryKey: ["api-clients", "Admin.list", offset],
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/api-clients", { params: { query: { limit: LIMIT, offset } }, signal })),
  });
  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
      void list.refetch();
    } catch (e) {
      setError(e);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const c = await unwrap(api.POST("/api/v1/api-clients", { body: { name, role, is_active: true } }));
      setSecret(c);
      setName("");
    });
  };
  return (
    <>
      <form className="card form" onSubmit={create} aria-labelledby="new-client">
        <h2 id="new-client">{t("admin.newClient")}</h2>
        <div className="row">
          <Field label={t("field.name")}>{(p) => <input {...p} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
          <Field label={t("field.role")}>
            {(p) => (
              <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.filter((r) => r !== "member").map((r) => (
                  <option key={r} value={r}>
                    {tv("role", r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
          {t("admin.createClient")}
        </button>
      </form>
      <ErrorBox error={error} />
      {secret && (
        <div className="alert alert-success" role="status">
          <p className="alert-title">{t("admin.secretOnce", { name: secret.name })}</p>
          <dl className="dl">
            <dt>client_id</dt>
            <dd>
              <code>{secret.client_id}</code>
            </dd>
            <dt>client_secret</dt>
            <dd>
              <code className="secret">{secret.client_secret}</code>
            </dd>
          </dl>
          <button type="button" className="btn" onClick={() => setSecret(null)}>
            {t("admin.secretSaved")}
          </button>
        </div>
      )}
      <Async state={list} isEmpty={(d) => d.items.length === 0} empty={t("admin.noClients")}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t("field.name")}</th>
                    <th scope="col">client_id</th>
                    <th scope="col">{t("field.role")}</th>
                    <th scope="col">{t("field.active")}</th>
                    <th scope="col">{t("field.created")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((c) => (
                    <tr key={c.id} className={c.is_active ? undefined : "row-muted"}>
                      <td><Bdi>{c.name}</Bdi></td>
                      <td>
                        <code>{c.client_id}</code>
                      </td>
                      <td>{tv("role", c.role)}</td>
                      <td>{c.is_active ? <Badge tone="good">{t("common.yes")}</Badge> : <Badge tone="muted">{t("common.no")}</Badge>}</td>
                      <td>{date(c.created_at)}</td>
                      <td className="actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            run(async () => {
                              setSecret(await unwrap(api.POST("/api/v1/api-clients/{client_id}/secret", { params: { path: { client_id: c.id } } })));
                            })
                          }
                        >
                          {t("admin.rotate")}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            run(async () => {
                              await unwrap(
                                api.PATCH("/api/v1/api-clients/{client_id}", { params: { path: { client_id: c.id } }, body: { is_active: !c.is_active } }),
                              );
                            })
                          }
                        >
                          {c.is_active ? t("admin.disable") : t("admin.enable")}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          onClick={() =>
                            window.confirm(t("admin.confirmDeleteClient", { name: c.name })) &&
                            run(async () => {
                              await unwrap(api.DELETE("/api/v1/api-clients/{client_id}", { params: { path: { client_id: c.id } } }));
                            })
                          }
                        >
                          {t("action.delete")}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination total={page.total} limit={LIMIT} offset={offset} onChange={setOffset} />
          </>
        )}
      </Async>
    </>
  );
}

const SCREENS: Record<(typeof TABS)[number], () => ReactNode> = { users: Users, clients: Clients, webhooks: Webhooks, outbox: Outbox, audit: Audit };
