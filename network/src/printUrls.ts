import { cloudApiPaths, localApiPaths } from "@chargemesh/shared-model/contracts";
import type { NetworkUrls } from "./networkSupervisor.js";

/** One address printed at start: what it is, where, and the credential it needs. */
export interface PrintedUrl {
  readonly owner: string;
  readonly what: string;
  readonly url: string;
  readonly credential?: { readonly name: "technician" | "operator"; readonly header: string };
  /** The account to sign in with at this URL (the demo driver in the app). */
  readonly signIn?: { readonly email: string; readonly password: string };
  /** A driver whose simulated card declines, to walk the debt path (replace the card, settle). */
  readonly decliningSignIn?: { readonly email: string; readonly password: string };
}

// The cloud's operator routes (cloud-peer/src/http/operatorRoutes.ts) have no path constants in the contracts.
const CLOUD_SITES = "/api/sites";
const cloudSiteLive = (siteId: string) => `/api/sites/${encodeURIComponent(siteId)}/live`;
const CLOUD_METRICS = "/metrics";

/**
 * Every URL the network serves, as printed at start (README "What `npm start` runs"): each site's
 * local API, live feed, metrics and kiosk (when built), the cloud's operator views, metrics, driver
 * app (when built; else its sign-in route) with the demo driver's sign-in (and the declining driver's,
 * whose card declines, when there is one), and libp2p address. The one place where a new URL is
 * added. Nothing is listed that is not served.
 */
export function printUrls(n: NetworkUrls): PrintedUrl[] {
  const operator = n.cloud.operatorToken
    ? ({ name: "operator", header: `Authorization: Bearer ${n.cloud.operatorToken}` } as const)
    : undefined;
  const withOperator = (u: Omit<PrintedUrl, "credential">): PrintedUrl =>
    operator ? { ...u, credential: operator } : u;
  const sites = n.sites.flatMap((s): PrintedUrl[] => {
    const technician = { name: "technician", header: `Authorization: Bearer ${s.technicianToken}` } as const;
    const ws = s.apiUrl.replace(/^http/, "ws");
    return [
      ...(s.kiosk ? [{ owner: s.siteId, what: "kiosk", url: `${s.apiUrl}/` }] : []),
      { owner: s.siteId, what: "site", url: s.apiUrl + localApiPaths.site },
      { owner: s.siteId, what: "power plan", url: s.apiUrl + localApiPaths.plan },
      { owner: s.siteId, what: "sessions", url: s.apiUrl + localApiPaths.sessions, credential: technician },
      { owner: s.siteId, what: "live feed", url: ws + localApiPaths.live },
      { owner: s.siteId, what: "metrics", url: s.apiUrl + localApiPaths.metrics },
    ];
  });
  const c = n.cloud.apiUrl;
  const signIn = {
    ...(n.cloud.demoDriver ? { signIn: n.cloud.demoDriver } : {}),
    ...(n.cloud.decliningDriver ? { decliningSignIn: n.cloud.decliningDriver } : {}),
  };
  const app: PrintedUrl = n.cloud.driverApp
    ? { owner: "cloud", what: "driver app", url: `${c}/`, ...signIn }
    : { owner: "cloud", what: "driver sign-in", url: `POST ${c}${cloudApiPaths.signIn}`, ...signIn };
  return [
    ...sites,
    ...(n.cloud.driverApp || n.cloud.demoDriver || n.cloud.decliningDriver ? [app] : []),
    { owner: "cloud", what: "stations", url: c + cloudApiPaths.stations },
    withOperator({ owner: "cloud", what: "sites", url: c + CLOUD_SITES }),
    ...n.sites.map((s) =>
      withOperator({ owner: "cloud", what: `${s.siteId} live`, url: c + cloudSiteLive(s.siteId) }),
    ),
    withOperator({ owner: "cloud", what: "metrics", url: c + CLOUD_METRICS }),
    { owner: "cloud", what: "libp2p", url: n.cloud.multiaddr },
  ];
}

/** The URLs as console text, grouped by owner; each group ends with the credentials its URLs need. */
export function urlText(urls: readonly PrintedUrl[]): string[] {
  const lines: string[] = [];
  const owners = [...new Set(urls.map((u) => u.owner))];
  for (const owner of owners) {
    const mine = urls.filter((u) => u.owner === owner);
    lines.push(`  ${owner}`);
    for (const u of mine)
      lines.push(`    ${u.what.padEnd(14)} ${u.url}${u.credential ? `  [${u.credential.name}]` : ""}`);
    const credentials = new Map(
      mine.flatMap((u) => (u.credential ? [[u.credential.name, u.credential.header]] : [])),
    );
    for (const [name, header] of credentials) lines.push(`    ${`[${name}]`.padEnd(14)} ${header}`);
    for (const u of mine) {
      if (u.signIn)
        lines.push(
          `    ${"[sign in]".padEnd(14)} demo driver: email ${u.signIn.email}  password ${u.signIn.password}`,
        );
      if (u.decliningSignIn)
        lines.push(
          `    ${"[sign in]".padEnd(14)} card declines: email ${u.decliningSignIn.email}  password ${u.decliningSignIn.password}`,
        );
    }
  }
  return lines;
}
