import { useState } from "react";
import { download } from "../api/download";
import { useI18n } from "../i18n";
import { ErrorBox } from "./ui";

/** The list as it is filtered on screen, as a spreadsheet in the person's language (headers, statuses, themes). */
export function ExportButton({ what, filters }: { what: "collectivities" | "needs"; filters: Record<string, string | undefined> }) {
  const { t, lang } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const get = async () => {
    setError(null);
    setBusy(true);
    const query = new URLSearchParams({ lang });
    for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
    try {
      await download(`/api/v1/exports/${what}.xlsx?${query}`, `jisr-${what}.xlsx`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="btn" onClick={() => void get()} disabled={busy}>
        {t("exp.thisList")}
      </button>
      <ErrorBox error={error} />
    </>
  );
}
