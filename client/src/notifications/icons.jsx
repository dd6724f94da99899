/**
 * The icon artwork, keyed by the icon NAME the server gives each type (GET /api/notifications/types),
 * never by type. A name without artwork here gets the generic bell. Decorative: the text says what it is.
 */

const BELL = "M12 3a6 6 0 00-6 6v4l-2 3h16l-2-3V9a6 6 0 00-6-6zm-2 16a2 2 0 004 0";

const ARTWORK = {
  package: "M3 7l9-4 9 4v10l-9 4-9-4V7zm9 4l9-4M12 11L3 7m9 4v10",
  alert: "M12 3l10 18H2L12 3zm0 6v5m0 3v.5",
  star: "M12 3l2.8 5.9 6.2.8-4.6 4.3 1.2 6.2L12 17.2 6.4 20.2l1.2-6.2L3 9.7l6.2-.8L12 3z",
  card: "M2 6h20v12H2V6zm0 4h20M6 15h4",
  restock: "M4 12a8 8 0 0114-5.3M20 12a8 8 0 01-14 5.3M18 3v4h-4M6 21v-4h4",
  tag: "M3 12V3h9l9 9-9 9-9-9zm5-4.5a1 1 0 100 .01",
  message: "M4 5h16v11H10l-6 4V5zm4 4h8m-8 3h5",
};

export function NotificationIcon({ icon, className = "" }) {
  const name = typeof icon === "string" && Object.hasOwn(ARTWORK, icon) ? icon : "generic";
  return (
    <span className={`type-icon type-icon--${name} ${className}`} data-icon={name} aria-hidden="true">
      <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
        <path d={ARTWORK[name] ?? BELL} />
      </svg>
    </span>
  );
}

export function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={BELL} />
    </svg>
  );
}
