/**
 * This device's Web Push switch: `{state, isPending, error, enable, disable}`, where `state` is
 * "loading", "unsupported", "denied", "on" or "off". Loading asks the browser nothing; `enable` (from a
 * click) is what asks for permission.
 */
import { useCallback, useEffect, useState } from "react";
import { useAuth } from "../auth/AuthContext.jsx";
import { devicePushState, disableDevicePush, enableDevicePush } from "./device.js";

export function useDevicePush() {
  const { user } = useAuth();
  const userId = user?.id;
  const [state, setState] = useState("loading");
  const [isPending, setPending] = useState(false);
  const [error, setError] = useState(null);

  useEffect(() => {
    let current = true;
    devicePushState(userId).then(
      (found) => current && setState(found),
      () => current && setState("off"), // a broken registration: offer to set it up again
    );
    return () => {
      current = false;
    };
  }, [userId]);

  const run = useCallback(async (action, next) => {
    setPending(true);
    setError(null);
    try {
      await action();
      setState(next);
    } catch (failure) {
      if (failure?.reason === "denied") setState("denied");
      else setError(failure);
    } finally {
      setPending(false);
    }
  }, []);

  const enable = useCallback(() => run(() => enableDevicePush(userId), "on"), [run, userId]);
  const disable = useCallback(() => run(disableDevicePush, "off"), [run]);
  return { state, isPending, error, enable, disable };
}
