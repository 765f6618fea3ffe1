import { PageHeader } from "../components/ui";
import { useI18n } from "../i18n";
import { Link } from "../router";
import { useTitle } from "./common";

export default function NotFound() {
  const { t } = useI18n();
  useTitle(t("notFound.title"));
  return (
    <>
      <PageHeader title={t("notFound.title")} />
      <p>{t("notFound.text")}</p>
      <p>
        <Link to="/">{t("nav.dashboard")}</Link>
      </p>
    </>
  );
}
