import { useEffect, useRef, useState, type FormEvent } from "react";
import { LanguageSelect } from "../components/LanguageSelect";
import { useAuth } from "../auth";
import { ErrorBox, Field } from "../components/ui";
import { useI18n } from "../i18n";

export function SignIn() {
  const { t } = useI18n();
  const { signIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const emailRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = `${t("auth.signIn")} · Jisr`;
  }, [t]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <div className="signin-lang">
        <LanguageSelect />
      </div>
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <p className="brand brand-large">
          <span aria-hidden="true" className="brand-mark">
            ج
          </span>{" "}
          Jisr
        </p>
        <h1 id="signin-title">{t("auth.signIn")}</h1>
        <p className="muted">{t("auth.tagline")}</p>
        <ErrorBox error={error} />
        <Field label={t("auth.email")}>
          {(p) => (
            <input
              {...p}
              ref={emailRef}
              type="email"
              name="username"
              autoComplete="username"
              required
              // biome-ignore lint/a11y/noAutofocus: the sign-in page has one task, typing the e-mail
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label={t("auth.password")}>
          {(p) => (
            <input
              {...p}
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !email || !password}>
          {busy ? t("state.working") : t("auth.submit")}
        </button>
        <p className="hint">{t("auth.sessionNote")}</p>
      </form>
    </main>
  );
}
