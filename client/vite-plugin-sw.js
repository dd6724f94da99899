/**
 * Build src/sw.js into dist/sw.js: one self-contained classic script (IIFE) at the site root, so the
 * service worker's scope is the whole site and it loads in every browser that has push (module service
 * workers are not everywhere yet). The main bundle's code splitting would otherwise share chunks with
 * it. `vite dev` serves the same bundle at /sw.js.
 *
 * A nested build with Vite's own API: vite-plugin-pwa would do it too, but brings workbox-build and
 * its hundreds of packages for precaching, which this worker does not do.
 */
import { fileURLToPath } from "node:url";
import { build } from "vite";

const ENTRY = fileURLToPath(new URL("./src/sw.js", import.meta.url));
export const SW_FILE = "sw.js";

async function bundle(mode, minify) {
  const result = await build({
    configFile: false,
    logLevel: "warn",
    mode,
    publicDir: false,
    build: {
      write: false,
      minify,
      sourcemap: false,
      lib: { entry: ENTRY, formats: ["iife"], name: "novacartServiceWorker", fileName: () => SW_FILE },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
  return outputs.find((chunk) => chunk.type === "chunk" && chunk.isEntry).code;
}

export function serviceWorker() {
  let config;
  return {
    name: "novacart:service-worker",
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(`/${SW_FILE}`, (req, res, next) => {
        bundle("development", false).then((code) => {
          res.setHeader("Content-Type", "text/javascript");
          res.setHeader("Cache-Control", "no-cache");
          res.end(code);
        }, next);
      });
    },
    async generateBundle() {
      this.emitFile({ type: "asset", fileName: SW_FILE, source: await bundle(config.mode, config.build.minify) });
    },
  };
}
