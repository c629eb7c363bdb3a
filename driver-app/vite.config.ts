import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `vite build` writes dist/, which the cloud API serves at `/`. In development (`vite`), API calls
// and the live feed go to the cloud peer named by CHARGEMESH_CLOUD (default the npm start cloud API).
const cloud = process.env.CHARGEMESH_CLOUD ?? "http://127.0.0.1:8810";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": { target: cloud, ws: true } } },
});
