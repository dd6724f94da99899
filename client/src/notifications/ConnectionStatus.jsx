/** Live-update indicator: "connected", "reconnecting" or "offline — polling" (and "connecting" at start). */
import { useNotificationCenter } from "./NotificationsContext.jsx";

export const STATUS_TEXT = {
  connecting: "connecting",
  connected: "connected",
  reconnecting: "reconnecting",
  polling: "offline — polling",
};

const STATUS_HELP = {
  connecting: "Connecting for live updates",
  connected: "Live updates are on",
  reconnecting: "Live updates interrupted; reconnecting",
  polling: "Live connection unavailable; checking for new notifications every few seconds",
};

export function ConnectionIndicator({ status }) {
  if (!STATUS_TEXT[status]) return null;
  return (
    <span className={`conn conn--${status}`} title={STATUS_HELP[status]}>
      <span className="conn__dot" aria-hidden="true" />
      <span className="sr-only">Live updates: </span>
      <span data-testid="connection-status" data-status={status}>
        {STATUS_TEXT[status]}
      </span>
    </span>
  );
}

export function ConnectionStatus() {
  const { status } = useNotificationCenter();
  return <ConnectionIndicator status={status} />;
}
