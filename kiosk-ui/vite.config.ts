import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `vite build` writes dist/, which the site's local API serves at `/` (same origin, works offline).
// In development (`vite`), API calls and the live feed go to the site named by CHARGEMESH_SITE.
const site = process.env.CHARGEMESH_SITE ?? "http://127.0.0.1:8710";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: { proxy: { "/api": site, "/live": { target: site, ws: true } } },
});
