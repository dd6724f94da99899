/**
 * A ref that always holds the latest `value`, for callbacks registered once (socket handlers, timers,
 * subscriptions) that must see current props. It is updated after each render commits, never during
 * render, so reading it belongs in effects and event handlers only.
 */
import { useLayoutEffect, useRef } from "react";

export function useLatest(value) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
