/** One row of the panel: opens what it is about (and marks it read), with mark-read and delete buttons. */
import { useTranslation } from "react-i18next";
import { currentLocale } from "../i18n/index.js";
import { formatDateTime, formatRelativeTime } from "../i18n/format.js";
import { NotificationIcon } from "./icons.jsx";
import { useNotificationType } from "./NotificationTypes.jsx";

export function NotificationItem({ notification, now, onActivate, onMarkRead, onDelete }) {
  const { id, type, title, message, is_read: isRead, created_at: createdAt } = notification;
  const kind = useNotificationType(type);
  const { t } = useTranslation();
  const locale = currentLocale();
  return (
    <li
      className={`notif-item${isRead ? "" : " notif-item--unread"}`}
      data-testid="notification-item"
      data-id={id}
      data-type={type}
      data-read={isRead ? "true" : "false"}
    >
      <button type="button" className="notif-item__main" onClick={() => onActivate(notification)}>
        <NotificationIcon icon={kind.icon} />
        <span className="notif-item__text">
          <span className="notif-item__title">{title}</span>
          {message && <span className="notif-item__message">{message}</span>}
          <time className="notif-item__time" dateTime={createdAt} title={formatDateTime(createdAt, locale)}>
            {formatRelativeTime(createdAt, locale, now)}
          </time>
          <span className="sr-only">{`, ${kind.label}${isRead ? "" : `, ${t("bell.unread_mark")}`}`}</span>
        </span>
      </button>
      <span className="notif-item__actions">
        {!isRead && (
          <button type="button" className="icon-button" aria-label={t("bell.mark_read_named", { title })} title={t("bell.mark_read")} onClick={() => onMarkRead(id)}>
            <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
              <path d="M4 12l5 5L20 6" />
            </svg>
          </button>
        )}
        <button type="button" className="icon-button" aria-label={t("bell.delete_named", { title })} title={t("common.delete")} onClick={() => onDelete(id)}>
          <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
            <path d="M4 7h16M9 7V4h6v3m-8 0l1 13h8l1-13" />
          </svg>
        </button>
      </span>
    </li>
  );
}
