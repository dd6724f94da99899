/**
 * The bell in the header and its panel: opens on click, closes on Escape (focus back on the bell),
 * on a click outside, or after choosing a notification, which is marked read and opened.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { notificationTarget } from "./api.js";
import { NotificationBell } from "./NotificationBell.jsx";
import { NotificationPanel } from "./NotificationPanel.jsx";
import { useNotificationCenter } from "./NotificationsContext.jsx";

export function NotificationMenu() {
  const { unreadCount, refetch, loaded, markRead } = useNotificationCenter();
  const [open, setOpen] = useState(false);
  const bellRef = useRef(null);
  const headingRef = useRef(null);
  const containerRef = useRef(null);
  const navigate = useNavigate();

  const close = useCallback((returnFocus = true) => {
    setOpen(false);
    if (returnFocus) bellRef.current?.focus();
  }, []);

  const toggle = () => {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    if (loaded) refetch();
  };

  useEffect(() => {
    if (!open) return undefined;
    headingRef.current?.focus();
    const onKey = (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close(true);
      }
    };
    const onPointer = (event) => {
      if (containerRef.current && !containerRef.current.contains(event.target)) close(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onPointer);
    };
  }, [open, close]);

  const activate = useCallback(
    (notification) => {
      if (!notification.is_read) markRead(notification.id);
      const target = notificationTarget(notification);
      if (target) {
        close(false);
        navigate(target);
      }
    },
    [markRead, navigate, close],
  );

  return (
    <div className="notif-menu" ref={containerRef}>
      <NotificationBell ref={bellRef} count={unreadCount} expanded={open} onClick={toggle} />
      {open && <NotificationPanel onActivate={activate} onClose={() => close(true)} headingRef={headingRef} />}
    </div>
  );
}
