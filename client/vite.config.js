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
  },
});
