import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import i18n from "../i18n/index.js";

afterEach(async () => {
  cleanup();
  await i18n.changeLanguage("en"); // a test that switched language leaves the next one in English
  window.localStorage.clear();
  delete window.navigator.serviceWorker; // test/fakePush.js's stand-in, where a test installed it
});
