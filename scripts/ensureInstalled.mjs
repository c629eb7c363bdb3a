// Installs the workspace dependencies when a fresh clone has none (or the lockfile changed since),
// so `npm start` and `npm test` work on a clean checkout with only Node and npm present.
import { existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";

const marker = "node_modules/.package-lock.json";
const stale =
  !existsSync(marker) ||
  (existsSync("package-lock.json") &&
    statSync("package-lock.json").mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.error("chargemesh: installing dependencies (npm install)...");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund"], {
    stdio: "inherit",
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: "1" },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
