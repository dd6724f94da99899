import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { serviceWorker } from "./vite-plugin-sw.js";

// The Flask app serves dist/index.html at "/" and the bundle under "/assets/", on the same origin
// as the API, so the build uses absolute "/" paths. In development, Vite proxies the API and
// Socket.IO to the Flask server so the client still talks to its own origin. The service worker is
// built on its own into dist/sw.js (vite-plugin-sw.js).
const backend = process.env.NOVACART_BACKEND ?? "http://localhost:5000";

export default defineConfig({
  plugins: [react(), serviceWorker()],
  base: "/",
  build: { outDir: "dist", assetsDir: "assets", emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/socket.io": { target: backend, ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: "jsdom",
    globals: false,
    setupFiles: ["./src/test/setup.js"],
    include: ["src/**/*.test.{js,jsx}"],
    restoreMocks: true,
    unstubGlobals: true,
    // `npm run coverage` (make coverage): branches below the floor fail the run. main.jsx only mounts
    // the app into the page; the browser tests (tests/e2e/test_browser.py) load it.
    coverage: {
      provider: "v8",
      include: ["src/**/*.{js,jsx}"],
      exclude: ["src/**/*.test.{js,jsx}", "src/test/**", "src/main.jsx"],
      reporter: ["text-summary", "html"],
      reportsDirectory: "../htmlcov/client",
      thresholds: { branches: 85 },
    },
  },
});
