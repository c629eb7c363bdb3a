// Builds the two browser apps (kiosk-ui, served by every site; driver-app, served by the cloud API)
// when their dist/ is missing or older than their sources, so `npm start` and `npm test` serve the
// current pages on a fresh clone. Exits non-zero when a build fails.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

/** Newest modification time under `dir` (sources only; skips node_modules and dist). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

for (const app of ["kiosk-ui", "driver-app"]) {
  const built = join(app, "dist", "index.html");
  const sources = Math.max(
    newest(join(app, "src")),
    statSync(join(app, "index.html")).mtimeMs,
    newest("shared-model/src"),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) continue;
  console.error(`chargemesh: building ${app} (vite build)...`);
  const r = spawnSync("npm", ["run", "build", "-w", `@chargemesh/${app}`, "--silent"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0) {
    console.error(`chargemesh: building ${app} failed (npm run build -w @chargemesh/${app})`);
    process.exit(r.status ?? 1);
  }
}
