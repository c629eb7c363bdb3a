/**
 * A cloud region (CloudPeer) as its own process (run with `child_process.fork` and `--import tsx`).
 * Argument: one JSON object (RegionProcessArgs). Keeps its libp2p key in its data directory, listens on
 * the fixed port it is given (so proxies find it after a restart), registers the sites and regions it
 * is told about (in the argument and later by `register` requests: the registry lives in memory and is
 * rebuilt on each start) and dials the regions in `dial`. Answers heads, documents, facts and sync-state
 * queries over IPC; with `billing`, it also runs billing passes when asked (regionBilling.ts). Logs (pino, warn and above) go to stderr; nothing goes to stdout.
 */
import { join } from "node:path";
import pino from "pino";
import { systemClock } from "@chargemesh/shared-model";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { loadOrCreatePrivateKey } from "@chargemesh/edge-node";
import { jsonArgument, serveParent, tellParent } from "./childIpc.js";
import { exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { documentsOf, headsOf, siteFactsOf } from "./documentView.js";
import type { CloudRegistration, SiteRegistration } from "./ipcProtocol.js";
import { startRegionBilling } from "./regionBilling.js";
import type { RegionBillingArgs } from "./regionBilling.js";

export interface RegionProcessArgs {
  readonly name: string;
  readonly dataDir: string;
  readonly port: number;
  /** Other regions to dial (multiaddrs with /p2p/<id>). */
  readonly dial: readonly string[];
  readonly sites: readonly SiteRegistration[];
  readonly clouds: readonly CloudRegistration[];
  /** When present the region also bills (regionBilling.ts). */
  readonly billing?: RegionBillingArgs;
}

const args = jsonArgument<RegionProcessArgs>("RegionProcessArgs");
const log = pino(
  { level: "warn", base: { role: "cloud", region: args.name } },
  pino.destination({ dest: 2, sync: true }),
);
exitOnUnexpectedErrors(log, (e) => tellParent({ type: "tolerated", error: e.message }));

const peer = await CloudPeer.start({
  dataDir: args.dataDir,
  privateKey: await loadOrCreatePrivateKey(join(args.dataDir, "libp2p-key")),
  listen: [`/ip4/127.0.0.1/tcp/${args.port}`],
  clock: systemClock,
  peers: args.dial,
  onRefused: (p, why) => log.warn({ peer: p, why }, "refused peer"),
});
const rootUrls = new Map<string, string>();
const register = (sites: readonly SiteRegistration[], clouds: readonly CloudRegistration[]) => {
  for (const c of clouds) peer.registerCloudPeer(c.name, c.peerId);
  for (const s of sites) {
    peer.registerSite(s.siteId, s.peerId, s.rootUrl);
    rootUrls.set(s.siteId, s.rootUrl);
  }
};
register(args.sites, args.clouds);
const rootOf = (siteId: string | undefined) => {
  const url = siteId === undefined ? undefined : rootUrls.get(siteId);
  if (!url) throw new Error(`unknown site ${String(siteId)}`);
  return url;
};

const billing = args.billing ? await startRegionBilling(peer, args.billing, log) : null;

serveParent({
  bill: async () => {
    if (!billing) throw new Error(`${args.name} was started without billing`);
    const r = await billing.pass();
    return { invoicesWritten: r.invoicesWritten, paymentAttempts: r.paymentAttempts, waiting: r.waiting };
  },
  register: async (r) => {
    register(r.sites, r.clouds);
    return true;
  },
  documents: async (r) => documentsOf(peer.repo, rootOf(r.siteId)),
  heads: async (r) => headsOf(peer.repo, r.urls),
  facts: async (r) => siteFactsOf(peer.repo, rootOf(r.siteId)),
  syncState: async () =>
    peer
      .syncState()
      .map((s) => ({ siteId: s.siteId, documentsBehind: s.documentsBehind, connected: s.connected })),
});
tellParent({ type: "ready", peerId: peer.node.peerId.toString(), rootUrl: null, simulatedNowMs: null });
