/** The bell button: accessible name "Notifications, N unread" (in the client's language), and a badge capped at "99+". */
import { forwardRef } from "react";
import { useTranslation } from "react-i18next";
import i18n from "../i18n/index.js";
import { BellIcon } from "./icons.jsx";

export function formatBadge(count) {
  return count > 99 ? "99+" : String(count);
}

export function bellLabel(count) {
  return count > 0 ? i18n.t("bell.label_unread", { count }) : i18n.t("bell.label");
}

export const NotificationBell = forwardRef(function NotificationBell({ count = 0, expanded = false, onClick, controls = "notification-panel" }, ref) {
  useTranslation(); // re-render when the language changes
  return (
    <button
      ref={ref}
      type="button"
      className="bell"
      aria-label={bellLabel(count)}
      aria-expanded={expanded}
      aria-controls={controls}
      aria-haspopup="dialog"
      onClick={onClick}
    >
      <BellIcon />
      {count > 0 && (
        // The count is in the button's name already; the badge is for the eyes.
        <span className="bell__badge" data-testid="unread-badge" aria-hidden="true">
          {formatBadge(count)}
        </span>
      )}
    </button>
  );
});
