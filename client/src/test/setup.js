import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  delete window.navigator.serviceWorker; // test/fakePush.js's stand-in, where a test installed it
});
