/**
 * The server's clock as seen from here, estimated from the `Date` header of API responses.
 *
 * Notification timestamps are server time; the replay rule compares them with the local socket
 * connect time. The header has one-second resolution, so small offsets are treated as noise and
 * only a real skew (a wrong client clock) is corrected.
 */

let offsetMs = 0;
const NOISE_MS = 1500;

export function noteServerDate(dateHeader, sentAt, receivedAt) {
  const server = Date.parse(dateHeader ?? "");
  if (!Number.isFinite(server)) return;
  // The header is truncated to the second: the true instant is on average half a second later.
  const estimate = server + 500 - (sentAt + receivedAt) / 2;
  offsetMs = Math.abs(estimate) > NOISE_MS ? Math.round(estimate) : 0;
}

/** Milliseconds to add to local time to get server time. */
export function serverOffsetMs() {
  return offsetMs;
}

export function resetClock() {
  offsetMs = 0;
}
