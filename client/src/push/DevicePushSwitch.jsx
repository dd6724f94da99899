/**
 * "Notify me on this device": Web Push for this browser. Asks for permission only when switched on, and
 * says what to do when the browser cannot have it (no push support, or notifications blocked).
 */
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { useDevicePush } from "./useDevicePush.js";

const HINTS = {
  unsupported:
    "This browser cannot show push notifications. Use a recent Chrome, Edge, Firefox or Safari; on an iPhone or iPad, " +
    "add NovaCart to your Home Screen first. E-mails still reach you.",
  denied:
    "Notifications are blocked for this site. Allow them in your browser's site settings (the icon next to the " +
    "address), then reload this page.",
};
const USUAL_HINT = "Your browser shows what you get by push (chosen below) even when NovaCart is closed.";

function progress(state, isPending) {
  if (isPending) return state === "on" ? "Turning off…" : "Setting up…";
  return "";
}

export function DevicePushSwitch() {
  const { state, isPending, error, enable, disable } = useDevicePush();
  const on = state === "on";
  const blocked = state === "unsupported" || state === "denied";
  return (
    <fieldset className="prefs__device" data-state={state}>
      <legend>This device</legend>
      <div className="switch-row">
        <input
          type="checkbox"
          role="switch"
          id="device-push"
          className="switch"
          checked={on}
          aria-checked={on}
          disabled={blocked || state === "loading" || isPending}
          aria-describedby="device-push-help"
          onChange={(e) => (e.target.checked ? enable() : disable())}
        />
        <label htmlFor="device-push">Notify me on this device</label>
        <p className={blocked ? "field__hint field__hint--warning" : "field__hint"} id="device-push-help" aria-live="polite">
          {HINTS[state] ?? USUAL_HINT}
        </p>
      </div>
      <p role="status" className="muted">
        {progress(state, isPending)}
      </p>
      <ErrorMessage error={error} />
    </fieldset>
  );
}
