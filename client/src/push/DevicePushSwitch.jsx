/**
 * "Notify me on this device": Web Push for this browser. Asks for permission only when switched on, and
 * says what to do when the browser cannot have it (no push support, or notifications blocked).
 */
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../components/ErrorMessage.jsx";
import { useDevicePush } from "./useDevicePush.js";

// The states with their own hint (`push.hint_<state>`); any other shows `push.hint`.
const HINTED = new Set(["unsupported", "denied"]);

function progress(t, state, isPending) {
  if (isPending) return state === "on" ? t("push.turning_off") : t("push.setting_up");
  return "";
}

export function DevicePushSwitch() {
  const { state, isPending, error, enable, disable } = useDevicePush();
  const on = state === "on";
  const blocked = state === "unsupported" || state === "denied";
  const { t } = useTranslation();
  return (
    <fieldset className="prefs__device" data-state={state}>
      <legend>{t("push.legend")}</legend>
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
        <label htmlFor="device-push">{t("push.label")}</label>
        <p className={blocked ? "field__hint field__hint--warning" : "field__hint"} id="device-push-help" aria-live="polite">
          {HINTED.has(state) ? t(`push.hint_${state}`) : t("push.hint")}
        </p>
      </div>
      <p role="status" className="muted">
        {progress(t, state, isPending)}
      </p>
      <ErrorMessage error={error} />
    </fieldset>
  );
}
