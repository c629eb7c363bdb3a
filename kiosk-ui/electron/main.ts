/** Electron entry: the kiosk shell on the site's URL (CHARGEMESH_KIOSK_URL, default the first npm start site). */
import { fileURLToPath } from "node:url";
import * as electron from "electron";
import { startKioskShell } from "./kioskShell.js";

void startKioskShell(electron as never, {
  url: process.env.CHARGEMESH_KIOSK_URL ?? "http://127.0.0.1:8710/",
  preloadPath: fileURLToPath(new URL("./preload.cjs", import.meta.url)),
  log: (m) => console.log(JSON.stringify({ level: "info", msg: m, time: Date.now() })),
});
