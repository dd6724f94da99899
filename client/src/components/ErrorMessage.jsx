/** Error display for API failures: one sentence per error, a live countdown for 429, field messages. */
import { useTranslation } from "react-i18next";
import { ApiError, describeError, fieldMessages } from "../api/problem.js";
import { useCountdown } from "../hooks/useNow.js";

export function ErrorMessage({ error, className = "" }) {
  // The deadline was fixed when the answer arrived (ApiError.retryUntil), so the countdown survives re-renders.
  const until = error instanceof ApiError ? error.retryUntil : null;
  const counted = useCountdown(until);
  const { t } = useTranslation();
  // Never more than the server said: the clock may have last ticked before the error arrived.
  const secondsLeft = Math.min(counted, error?.retryAfter ?? 0);
  if (!error) return null;
  let text = describeError(error);
  if (until) text = secondsLeft > 0 ? t("errors.retry_in", { count: secondsLeft }) : t("errors.retry_now");
  const code = error instanceof ApiError ? error.code : "error";
  return (
    <div className={`alert alert--error ${className}`} role="alert" data-code={code}>
      {error.code === "insufficient_stock" ? (
        <>
          <strong className="alert__title">{t("errors.not_enough_stock_title")} </strong>
          {describeError(error, { bare: true })}
        </>
      ) : (
        text
      )}
    </div>
  );
}

/** Messages for `name` under its field; give the input `aria-describedby={fieldErrorId(name)}`. */
export function FieldError({ error, name, id }) {
  const messages = fieldMessages(error, name);
  if (!messages.length) return null;
  return (
    <p className="field__error" id={id ?? fieldErrorId(name)}>
      {messages.join(" ")}
    </p>
  );
}

export function fieldErrorId(name) {
  return `error-${name.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
}

/** Props for an input whose field may have errors: aria-invalid and aria-describedby. */
export function fieldProps(error, name) {
  const invalid = fieldMessages(error, name).length > 0;
  return invalid ? { "aria-invalid": true, "aria-describedby": fieldErrorId(name) } : {};
}
