/**
 * Toasts for notifications that arrive while the page is open: stacked in a corner, at most three,
 * each dismissed after `durationMs` unless the pointer or keyboard focus is on the stack (or the tab
 * is hidden), announced politely to screen readers through one live region that is always present.
 */
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useLatest } from "../hooks/useLatest.js";
import { notificationTarget } from "./api.js";
import { NotificationIcon } from "./icons.jsx";
import { useNotificationType } from "./NotificationTypes.jsx";
import { useNotificationCenter } from "./NotificationsContext.jsx";

export const TOAST_DURATION_MS = 6000;

function Toast({ toast, paused, durationMs, onDismiss, onOpen }) {
  const { notification } = toast;
  const kind = useNotificationType(notification.type);
  const { t } = useTranslation();
  const remaining = useRef(durationMs);
  const dismiss = useLatest(onDismiss);

  useEffect(() => {
    if (paused) return undefined;
    const startedAt = Date.now();
    const timer = setTimeout(() => dismiss.current(toast.id), Math.max(0, remaining.current));
    return () => {
      clearTimeout(timer);
      remaining.current -= Date.now() - startedAt;
    };
  }, [paused, toast.id, dismiss]);

  const target = notificationTarget(notification);
  return (
    <div className="toast" data-testid="toast" data-type={notification.type} data-id={notification.id}>
      <NotificationIcon icon={kind.icon} />
      <div className="toast__body">
        <p className="toast__title">{notification.title}</p>
        {notification.message && <p className="toast__message">{notification.message}</p>}
        {target && onOpen && (
          <button type="button" className="link-button toast__open" onClick={() => onOpen(notification)}>
            {t("toast.view")}
          </button>
        )}
      </div>
      <button type="button" className="icon-button toast__close" aria-label={t("toast.dismiss_named", { title: notification.title })} onClick={() => onDismiss(toast.id)}>
        <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
          <path d="M6 6l12 12M18 6L6 18" />
        </svg>
      </button>
    </div>
  );
}

export function ToastRegion({ toasts, onDismiss, onOpen, durationMs = TOAST_DURATION_MS }) {
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const [hidden, setHidden] = useState(() => typeof document !== "undefined" && document.visibilityState === "hidden");

  useEffect(() => {
    const onVisibility = () => setHidden(document.visibilityState === "hidden");
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, []);

  // Nothing left to hover or focus: un-pause, or the next toast would never leave (the pointer cannot
  // leave a region that emptied under it). Adjusted while rendering, before any toast can see it.
  if (toasts.length === 0 && (hovered || focused)) {
    setHovered(false);
    setFocused(false);
  }

  return (
    <div
      className="toasts"
      data-testid="toasts"
      role="status"
      aria-live="polite"
      aria-atomic="false"
      aria-relevant="additions text"
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setFocused(true)}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget)) setFocused(false);
      }}
    >
      {toasts.map((toast) => (
        <Toast key={toast.id} toast={toast} paused={hovered || focused || hidden} durationMs={durationMs} onDismiss={onDismiss} onOpen={onOpen} />
      ))}
    </div>
  );
}

export function Toasts({ durationMs }) {
  const { toasts, dismissToast, markRead } = useNotificationCenter();
  const navigate = useNavigate();
  const open = (notification) => {
    dismissToast(notification.id);
    if (!notification.is_read) markRead(notification.id);
    const target = notificationTarget(notification);
    if (target) navigate(target);
  };
  return <ToastRegion toasts={toasts} onDismiss={dismissToast} onOpen={open} durationMs={durationMs} />;
}
