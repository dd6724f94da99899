/**
 * The list behind the bell: newest first, all/unread filter, mark read, mark all read, delete,
 * infinite scroll (IntersectionObserver, with a "Load more" button that also works without it),
 * and loading, empty and error states.
 */
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { describeError } from "../api/problem.js";
import { useNow } from "../hooks/useNow.js";
import { useNotifications } from "./NotificationsContext.jsx";
import { NotificationItem } from "./NotificationItem.jsx";

export function NotificationPanel({ id = "notification-panel", onActivate, onClose, headingRef }) {
  const { data, error, isLoading, isFetching, hasMore, isLoadingMore, loadMore, filter, setFilter, markRead, markAllRead, remove, refetch } =
    useNotifications();
  const { items, unreadCount } = data;
  const now = useNow(30_000);
  const { t } = useTranslation();
  const scrollRef = useRef(null);
  const sentinelRef = useRef(null);

  useEffect(() => {
    const sentinel = sentinelRef.current;
    if (!sentinel || !hasMore || typeof IntersectionObserver === "undefined") return undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) loadMore();
      },
      { root: scrollRef.current, rootMargin: "120px" },
    );
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [hasMore, loadMore, items.length]);

  const empty = !isLoading && !error && items.length === 0;

  return (
    <div id={id} className="notif-panel" role="dialog" aria-modal="false" aria-labelledby={`${id}-title`}>
      <div className="notif-panel__header">
        <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
          {t("bell.title")}
        </h2>
        <button type="button" className="icon-button" aria-label={t("common.close")} onClick={onClose}>
          <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <path d="M6 6l12 12M18 6L6 18" />
          </svg>
        </button>
      </div>
      <div className="notif-panel__toolbar">
        <div className="segmented" role="group" aria-label={t("bell.show")}>
          <button type="button" aria-pressed={filter === "all"} onClick={() => setFilter("all")}>
            {t("bell.all")}
          </button>
          <button type="button" aria-pressed={filter === "unread"} onClick={() => setFilter("unread")}>
            {t("bell.unread")}
            {unreadCount > 0 ? ` (${unreadCount > 99 ? "99+" : unreadCount})` : ""}
          </button>
        </div>
        <button type="button" className="link-button" onClick={markAllRead} disabled={unreadCount === 0}>
          {t("bell.mark_all_read")}
        </button>
      </div>
      <div className="notif-panel__body" ref={scrollRef} aria-busy={isLoading || isFetching || isLoadingMore}>
        {isLoading && <p className="notif-state notif-state--loading">{t("bell.loading")}</p>}
        {error && (
          <div className="notif-state notif-state--error" role="alert">
            <p>{describeError(error)}</p>
            <button type="button" className="link-button" onClick={() => refetch()}>
              {t("common.try_again")}
            </button>
          </div>
        )}
        {empty && (
          <div className="notif-state notif-state--empty">
            <p className="notif-state__title">{filter === "unread" ? t("bell.empty_unread_title") : t("bell.empty_title")}</p>
            <p>{filter === "unread" ? t("bell.empty_unread_text") : t("bell.empty_text")}</p>
          </div>
        )}
        {items.length > 0 && (
          <ul className="notif-list" aria-label={filter === "unread" ? t("bell.list_unread") : t("bell.list_all")}>
            {items.map((notification) => (
              <NotificationItem
                key={notification.id}
                notification={notification}
                now={now}
                onActivate={onActivate}
                onMarkRead={markRead}
                onDelete={remove}
              />
            ))}
          </ul>
        )}
        {hasMore && (
          <div className="notif-panel__more">
            <div ref={sentinelRef} className="notif-panel__sentinel" aria-hidden="true" />
            <button type="button" className="button button--secondary" onClick={loadMore} disabled={isLoadingMore}>
              {isLoadingMore ? t("common.loading") : t("common.load_more")}
            </button>
          </div>
        )}
      </div>
      <div className="notif-panel__footer">
        <Link to="/preferences" onClick={onClose}>
          {t("bell.settings")}
        </Link>
      </div>
    </div>
  );
}
