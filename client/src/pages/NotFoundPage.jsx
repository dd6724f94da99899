import { useTranslation } from "react-i18next";
import { Link } from "react-router";

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <section>
      <h1>{t("not_found.title")}</h1>
      <p>
        {t("not_found.text")} <Link to="/">{t("not_found.back")}</Link>
      </p>
    </section>
  );
}
