/**
 * The client's languages (react-i18next): English, Italian, Spanish and Vietnamese, one JSON catalog each
 * under locales/ (the server's coverage test reads them there). Plurals use i18next's `_one`/`_many`/`_other`
 * keys, chosen by Intl.PluralRules; dates, relative times and money come from Intl (format.js).
 *
 * The language follows the signed-in user (`user.locale`, LocaleFollowsUser in App.jsx); signed out, it is
 * what the visitor last chose in the header on this browser, else the browser's first language among ours, else English.
 * `<html lang>` follows every change.
 */
import i18n from "i18next";
import LanguageDetector from "i18next-browser-languagedetector";
import { initReactI18next } from "react-i18next";
import en from "./locales/en.json";
import es from "./locales/es.json";
import it from "./locales/it.json";
import vi from "./locales/vi.json";

/** The languages, each named in itself for the header's menu (CONTRACT.md "Languages"). */
export const LOCALES = [
  { code: "en", name: "English" },
  { code: "it", name: "Italiano" },
  { code: "es", name: "Español" },
  { code: "vi", name: "Tiếng Việt" },
];
export const LOCALE_CODES = LOCALES.map((l) => l.code);
export const DEFAULT_LOCALE = "en";
export const catalogs = { en, it, es, vi };

// Where a signed-out visitor's choice is kept on this browser.
export const LOCALE_STORAGE_KEY = "novacart.locale";

/** `"it-CH"` → `"it"`; anything we do not speak → null. */
export function supportedLocale(tag) {
  if (typeof tag !== "string") return null;
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return LOCALE_CODES.includes(base) ? base : null;
}

function applyDocumentLanguage(lng) {
  if (typeof document !== "undefined") document.documentElement.lang = supportedLocale(lng) ?? DEFAULT_LOCALE;
}

/** Keep a visitor's own choice for their next visit on this browser (detection reads it before the browser's languages). */
export function rememberLanguage(lng) {
  try {
    window.localStorage.setItem(LOCALE_STORAGE_KEY, supportedLocale(lng) ?? DEFAULT_LOCALE);
  } catch {
    // Storage full or refused: the language still changes, it is just not remembered for the next visit.
  }
}

i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: Object.fromEntries(Object.entries(catalogs).map(([code, translation]) => [code, { translation }])),
    supportedLngs: LOCALE_CODES,
    nonExplicitSupportedLngs: true, // "it-IT" from the browser is Italian
    load: "languageOnly",
    fallbackLng: DEFAULT_LOCALE,
    initAsync: false, // the catalogs are bundled: the first render is already in the right language
    interpolation: { escapeValue: false }, // React escapes
    returnEmptyString: false,
    detection: {
      order: ["localStorage", "navigator"],
      lookupLocalStorage: LOCALE_STORAGE_KEY,
      caches: [], // kept by rememberLanguage: a browser that refuses storage must not break a switch
    },
    react: { useSuspense: false },
  });

i18n.on("languageChanged", applyDocumentLanguage);
applyDocumentLanguage(i18n.resolvedLanguage ?? i18n.language);

/** The language the client shows now, one of LOCALE_CODES. */
export function currentLocale() {
  return supportedLocale(i18n.resolvedLanguage ?? i18n.language) ?? DEFAULT_LOCALE;
}

export default i18n;
