import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A built web app (a folder with index.html): `envVar` when set, else `repoFolder` of this checkout; null when absent. */
function builtApp(envVar: string, repoFolder: string): string | null {
  const dir = process.env[envVar] ?? fileURLToPath(new URL(`../../${repoFolder}`, import.meta.url));
  return existsSync(join(dir, "index.html")) ? dir : null;
}

/** The kiosk's build (kiosk-ui/dist, or CHARGEMESH_KIOSK_DIR) each site serves at `/`, when built. */
export const kioskBuild = (): string | null => builtApp("CHARGEMESH_KIOSK_DIR", "kiosk-ui/dist");

/** The driver app's build (driver-app/dist, or CHARGEMESH_DRIVER_APP_DIR) the cloud serves at `/`, when built. */
export const driverAppBuild = (): string | null => builtApp("CHARGEMESH_DRIVER_APP_DIR", "driver-app/dist");
