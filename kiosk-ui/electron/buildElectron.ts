/**
 * Builds the kiosk's Electron main process into dist-electron/ (or the directory given as the first
 * argument): `main.js` (ESM, Electron's main process) and `preload.cjs` (CommonJS: a sandboxed preload
 * runs as a plain script with Electron's limited `require`). Dependencies (zod) are bundled in;
 * `electron` and Node's builtins stay imports, so the output loads nothing else. Exits 1 on a build error.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import { build } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] ?? join(here, "..", "dist-electron"));
const external = ["electron", ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const entries = [
  { entry: "main.ts", format: "es", fileName: "main.js" },
  { entry: "preload.ts", format: "cjs", fileName: "preload.cjs" },
] as const;

try {
  for (const [i, e] of entries.entries()) {
    await build({
      configFile: false,
      root: here,
      logLevel: "warn",
      build: {
        outDir,
        emptyOutDir: i === 0,
        ssr: join(here, e.entry),
        target: "node22",
        minify: false,
        sourcemap: false,
        copyPublicDir: false,
        rollupOptions: {
          external,
          output: { format: e.format, entryFileNames: e.fileName },
        },
      },
      ssr: { noExternal: true, target: "node" },
    });
  }
  console.log(`electron main process built in ${outDir}: ${entries.map((e) => e.fileName).join(", ")}`);
} catch (err) {
  console.error(err);
  process.exit(1);
}
