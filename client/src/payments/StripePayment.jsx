/**
 * Paying with Stripe: Stripe's Payment Element (card fields in Stripe's own frame) and the confirmation,
 * both by Stripe.js. `POST /api/orders/{id}/pay` gave the PaymentIntent's `client_secret` and the shop's
 * `publishable_key`; card details go from the browser to Stripe, never through NovaCart.
 *
 * Stripe.js is loaded from https://js.stripe.com by @stripe/stripe-js, as Stripe requires (never bundled),
 * and only here: the `pure` entry point injects the script on the first loadStripe() call, not on import,
 * so a shop on another provider never loads it (its pages' CSP would refuse it: the server opens the
 * CSP to Stripe's origins only when PAYMENT_PROVIDER=stripe). The order turns paid when Stripe tells the
 * server (its webhook); the order page moves on the `orderUpdate` that follows.
 */
import { loadStripe } from "@stripe/stripe-js/pure";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import i18n, { currentLocale } from "../i18n/index.js";

/** The PaymentIntent statuses the customer is told about once Stripe.js has confirmed (`payment.confirmed_<status>`). */
const CONFIRMED = new Set(["succeeded", "processing"]);

export function StripePayment({ publishableKey, clientSecret, returnUrl }) {
  const mountRef = useRef(null);
  const [checkout, setCheckout] = useState(null); // {stripe, elements} once the Payment Element is mounted
  const [stage, setStage] = useState("loading"); // loading | ready | confirming | confirmed | unavailable
  const [message, setMessage] = useState(null); // why the last confirmation failed
  const [confirmed, setConfirmed] = useState(null); // the PaymentIntent's status once it went through
  const { t } = useTranslation();
  const locale = currentLocale();

  useEffect(() => {
    let current = true;
    let element = null;
    loadStripe(publishableKey)
      .then((stripe) => {
        if (!current) return;
        if (!stripe) throw new Error("Stripe.js is not available");
        // Stripe's own frame speaks the client's language too (it knows en, it, es and vi).
        const elements = stripe.elements({ clientSecret, locale });
        element = elements.create("payment");
        element.on("ready", () => current && setStage((stage) => (stage === "loading" ? "ready" : stage)));
        element.mount(mountRef.current);
        setCheckout({ stripe, elements });
      })
      .catch(() => current && setStage("unavailable"));
    return () => {
      current = false;
      element?.destroy();
    };
  }, [publishableKey, clientSecret, locale]);

  async function confirm(event) {
    event.preventDefault();
    if (!checkout || stage !== "ready") return;
    setStage("confirming");
    setMessage(null);
    let result;
    try {
      // Stripe.js handles 3-D Secure in its own frame; a payment method that must leave the page comes
      // back to `returnUrl`, whose query the order page reads (redirect_status).
      result = await checkout.stripe.confirmPayment({
        elements: checkout.elements,
        confirmParams: { return_url: returnUrl },
        redirect: "if_required",
      });
    } catch {
      result = { error: { message: t("payment.unreachable") } };
    }
    if (result.error) {
      // Stripe's own message is in the language its Element was given.
      setMessage(result.error.message || t("payment.declined"));
      setStage("ready");
      return;
    }
    const status = result.paymentIntent?.status;
    const said = CONFIRMED.has(status);
    setConfirmed(said ? status : null);
    setStage(said ? "confirmed" : "ready");
  }

  return (
    <form className="stripe-payment" onSubmit={confirm} aria-label={t("payment.form_label")} data-testid="stripe-payment">
      <div ref={mountRef} className="stripe-payment__element" />
      {stage === "loading" && <p className="muted">{t("payment.loading")}</p>}
      {stage === "unavailable" && (
        <p className="alert alert--error" role="alert">
          {t("payment.unavailable")}
        </p>
      )}
      {message && (
        <p className="alert alert--error" role="alert">
          {message}
        </p>
      )}
      {stage === "confirmed" ? (
        <p className="alert alert--success" role="status">
          {t(`payment.confirmed_${confirmed}`)}
        </p>
      ) : (
        stage !== "unavailable" && (
          <button type="submit" className="button" disabled={stage !== "ready"}>
            {stage === "confirming" ? t("payment.confirming") : t("payment.confirm")}
          </button>
        )
      )}
    </form>
  );
}

/** What the order page says after Stripe sent the customer back (`redirect_status` in the return URL). */
export function returnedFromStripe(searchParams) {
  const status = searchParams.get("redirect_status");
  if (status === "succeeded") return { kind: "success", text: i18n.t("payment.confirmed_succeeded") };
  if (status === "failed") return { kind: "error", text: i18n.t("payment.failed_return") };
  return null;
}
