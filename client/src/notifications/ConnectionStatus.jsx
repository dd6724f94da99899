/** Live-update indicator: "connected", "reconnecting" or "offline — polling" (and "connecting" at start), in the client's language. */
import { useTranslation } from "react-i18next";
import { useNotificationCenter } from "./NotificationsContext.jsx";

/** The states shown; each one's words are the catalog's `connection.<state>` and `connection.<state>_help`. */
export const STATUSES = ["connecting", "connected", "reconnecting", "polling"];

export function ConnectionIndicator({ status }) {
  const { t } = useTranslation();
  if (!STATUSES.includes(status)) return null;
  return (
    <span className={`conn conn--${status}`} title={t(`connection.${status}_help`)}>
      <span className="conn__dot" aria-hidden="true" />
      <span className="sr-only">{t("connection.prefix")} </span>
      <span data-testid="connection-status" data-status={status}>
        {t(`connection.${status}`)}
      </span>
    </span>
  );
}

export function ConnectionStatus() {
  const { status } = useNotificationCenter();
  return <ConnectionIndicator status={status} />;
}
