/**
 * The header's language menu: switches the whole client at once, without a reload, and saves the choice
 * on the account (`PATCH /api/auth/me {locale}`) when someone is signed in.
 */
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client.js";
import { describeError } from "../api/problem.js";
import { setSession } from "../api/session.js";
import { useAuth } from "../auth/AuthContext.jsx";
import i18n, { currentLocale, LOCALES, rememberLanguage, supportedLocale } from "./index.js";

export function LanguageMenu() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const [error, setError] = useState(null);
  const locale = currentLocale();

  const choose = async (event) => {
    const next = event.target.value;
    setError(null);
    rememberLanguage(next);
    await i18n.changeLanguage(next);
    if (!user) return;
    try {
      const me = await api("/api/auth/me", { method: "PATCH", body: { locale: next } });
      if (me && typeof me === "object") setSession({ user: me });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <span className="language-menu">
      <label htmlFor="language-menu" className="sr-only">
        {t("language.label")}
      </label>
      <select id="language-menu" value={locale} onChange={choose} lang={locale}>
        {LOCALES.map(({ code, name }) => (
          <option key={code} value={code} lang={code}>
            {name}
          </option>
        ))}
      </select>
      {error && (
        <span className="language-menu__error" role="alert">
          {t("language.not_saved", { reason: describeError(error) })}
        </span>
      )}
    </span>
  );
}

/**
 * Keeps the client's language on the signed-in user's `locale`: at sign-in, and when the account's locale
 * changes (another tab, the dashboard). Only a change of `user.locale` moves it, so a choice the server did
 * not save still holds on this page.
 */
export function LocaleFollowsUser() {
  const { user } = useAuth();
  const wanted = supportedLocale(user?.locale);
  const followed = useRef(null); // the account locale last applied: a re-render alone never undoes a choice
  useEffect(() => {
    if (followed.current === wanted) return;
    followed.current = wanted;
    if (wanted && wanted !== currentLocale()) i18n.changeLanguage(wanted);
  }, [wanted]);
  return null;
}
