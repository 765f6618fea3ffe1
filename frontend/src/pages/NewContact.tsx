import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { ErrorBox, Field } from "../components/ui";
import { useI18n } from "../i18n";

/** Add a contact person (coordinators). Consent is required (nobody is listed without it): its date is recorded. */
export function NewContact({ collectivityId, onCreated }: { collectivityId: string; onCreated: () => void }) {
  const { t } = useI18n();
  const [fullName, setFullName] = useState("");
  const [role, setRole] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const [consent, setConsent] = useState(false);
  const create = useMutation({
    mutationFn: async () => {
      await unwrap(
        api.POST("/api/v1/contacts", {
          body: {
            collectivity_id: collectivityId,
            full_name: fullName.trim(),
            role: role.trim(),
            email: email.trim() || null,
            phone: phone.trim() || null,
            languages: [],
            consent_at: new Date().toISOString(),
            active: true,
          },
        }),
      );
      setFullName("");
      setRole("");
      setEmail("");
      setPhone("");
      setConsent(false);
      onCreated();
    },
  });
  const errs = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <details>
      <summary>{t("col.addContact")}</summary>
      <form className="form" onSubmit={submit}>
        <ErrorBox error={create.error} />
        <div className="row">
          <Field label={t("field.fullName")} error={errs.full_name}>
            {(p) => <input {...p} required maxLength={200} value={fullName} onChange={(e) => setFullName(e.target.value)} />}
          </Field>
          <Field label={t("field.role")} error={errs.role}>
            {(p) => <input {...p} maxLength={100} value={role} onChange={(e) => setRole(e.target.value)} />}
          </Field>
          <Field label={t("field.email")} error={errs.email}>
            {(p) => <input {...p} type="email" dir="ltr" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label={t("field.phone")} error={errs.phone}>
            {(p) => <input {...p} type="tel" dir="ltr" maxLength={40} value={phone} onChange={(e) => setPhone(e.target.value)} />}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" required checked={consent} onChange={(e) => setConsent(e.target.checked)} /> {t("col.consentGiven")}
        </label>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !fullName.trim() || !consent}>
            {t("col.saveContact")}
          </button>
        </div>
      </form>
    </details>
  );
}
