/**
 * One simulated site as its own process under the network supervisor (started with `fork` and
 * `--import tsx`; argument: one JSON SiteProcessArgs). Its libp2p identity and technician credential
 * persist in its data directory, so a restarted site is the same peer and reopens its store and its
 * simulated day where it stopped. It runs its day at `speed` times real time, serves its local API,
 * pushes its figures to the supervisor every second and attaches the config document the supervisor
 * names. It exits when told to stop or when the supervisor goes away.
 */
import { join } from "node:path";
import { createSyncNode, exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { technicianId } from "@chargemesh/shared-model";
import { SimulatedSite } from "@chargemesh/simulation";
import {
  loadOrCreatePrivateKey,
  siteLocalApiDeps,
  startLocalApi,
  technicianTokenDigest,
} from "@chargemesh/edge-node";
import type { LocalApi } from "@chargemesh/edge-node";
import type { ConfigDocument } from "@chargemesh/shared-model";
import type { SiteFigures, SiteMessage, SiteProcessArgs, SiteTrust, ToSite } from "./childMessages.js";
import { childLogger } from "./childLogger.js";
import { ParentChannel } from "./parentChannel.js";
import { readSecret } from "./secretFile.js";

class StopSignal extends Error {}

const args = JSON.parse(process.argv[2] ?? "null") as SiteProcessArgs;
const log = childLogger({ role: "site", site: args.siteId }, args.logFile);
exitOnUnexpectedErrors(log);

let stopRequested = false;
let site: SimulatedSite | null = null;
let api: LocalApi | null = null;
let apiDeps: ReturnType<typeof siteLocalApiDeps> | null = null;
let dayRun: Promise<void> = Promise.resolve();
let dayComplete = false;
let node: Awaited<ReturnType<typeof createSyncNode>> | null = null;
const channel = new ParentChannel<ToSite, SiteMessage>(async (why) => {
  log.info({ why }, "stopping");
  stopRequested = true;
  await dayRun;
  await api?.close();
  apiDeps?.close();
  await site?.stop();
  await node?.stop();
});
let onCloud: (multiaddr: string) => void = () => undefined;
const cloudMultiaddr = new Promise<string>((resolve) => (onCloud = resolve));
let configUrl: string | null = null;
/** The config document the site was provisioned with (set before it reports ready). */
let provisioned: ConfigDocument | null = null;
channel.onMessage((m) => {
  if (m.type === "cloud") onCloud(m.multiaddr);
  if (m.type !== "config" || m.configUrl === configUrl || !site) return;
  configUrl = m.configUrl;
  // In the background: the site charges whether or not the cloud is reachable.
  void attachWhenTrusted(site, m.configUrl);
});
channel.send({ type: "hello" });
node = await createSyncNode({ privateKey: await loadOrCreatePrivateKey(join(args.dataDir, "libp2p-key")) });
const peerId = node.peerId.toString();

const dial = await cloudMultiaddr;
let wallStart = performance.now();
let simStart = 0;
site = await SimulatedSite.create({
  siteId: args.siteId,
  dataDir: args.dataDir,
  stalls: args.stalls,
  vehicles: args.vehicles,
  ocppStalls: args.ocppStalls,
  seed: args.seed,
  offline: false,
  startMs: Date.UTC(2026, 5, 1, 5),
  windowMs: 16 * 3_600_000,
  log,
  sync: { node, dial: [dial] },
  onStep: async (now) => {
    if (stopRequested) throw new StopSignal();
    const aheadMs = (now - simStart) / args.speed - (performance.now() - wallStart);
    if (aheadMs > 1) await new Promise((r) => setTimeout(r, aheadMs));
  },
});
const running = site;
simStart = running.clock.now();
wallStart = performance.now();
apiDeps = siteLocalApiDeps(running.controller, {
  clock: running.clock,
  power: running.power,
  hardware: running.config.stalls.map((c, i) => ({ config: c, ...running.hardware[i]! })),
  technicians: [
    {
      id: technicianId("demo-technician"),
      tokenSha256: technicianTokenDigest(readSecret(args.technicianTokenFile)),
    },
  ],
  sync: { node, cloudPeers: [dial] },
  ...(running.ocpp
    ? { ocppChargers: () => running.ocpp!.site.chargers(), chargers: running.ocpp.site.remote }
    : {}),
  simulated: [
    "meters",
    "power stages",
    "vehicle links",
    "cars",
    ...(args.ocppStalls > 0 ? ["OCPP chargers"] : []),
  ],
  kioskDir: args.kioskDir,
  overrides: { log, allowedOrigins: args.allowedOrigins },
});
api = await startLocalApi(apiDeps, "127.0.0.1", args.apiPort);

dayRun = running.run().then(
  (summary) => {
    dayComplete = true;
    log.info({ ...summary }, "simulated day complete");
  },
  (e: unknown) => {
    if (e instanceof StopSignal) return;
    log.fatal({ err: e }, "simulated day failed");
    process.exit(70);
  },
);

// Not attached to the cloud's document yet: this is the copy the site was provisioned with.
provisioned = running.controller.configDocument.current();
setInterval(() => channel.send({ type: "figures", figures: figuresOf(running) }), 1_000).unref();
channel.send({
  type: "ready",
  peerId,
  rootUrl: running.controller.site.root.url,
  apiUrl: api.url,
  kiosk: args.kioskDir !== null,
  contracts: running.contractIds(),
  trust: trustOf(provisioned),
});
log.info({ api: api.url, peerId }, "site ready");

/** The site's sessions, energy (ended sessions, Wh) and present power against its grid limit. */
function figuresOf(s: SimulatedSite): SiteFigures {
  const summary = s.summary(0);
  const powerW = s.controller.orchestrator.stallViews().reduce((sum, v) => sum + v.powerW, 0);
  return {
    simulatedNowMs: s.clock.now(),
    sessionsOpen: summary.sessions.open,
    sessionsCompleted: summary.sessions.completed,
    sessionsRejected: summary.sessions.rejected,
    sessionsFailed: summary.sessions.failed,
    energyWh: summary.energyWh,
    powerW,
    gridLimitW: s.config.gridLimitW,
    dayComplete,
    config: configOf(s.controller.configDocument.current()),
  };
}

function configOf(doc: ConfigDocument | null): SiteFigures["config"] {
  if (!doc) return null;
  return {
    version: doc.version,
    source: doc === provisioned ? "provisioned" : "cloud",
    trustAnchors: doc.trustAnchors.length,
    blockedContracts: Object.values(doc.accountStanding).filter((s) => s.standing === "blocked").length,
  };
}

/**
 * Attaches the cloud's config document once it carries this site's provisioned trust anchors: a
 * restarted simulated site draws a new PKI, and the copy its store kept from before names the old
 * root until the cloud's new version syncs (working from it would refuse every car). Polls every
 * 500 ms; never throws; gives up when the site stops.
 */
async function attachWhenTrusted(s: SimulatedSite, url: string): Promise<void> {
  const wanted = provisioned?.trustAnchors ?? [];
  const holds = (doc: ConfigDocument | undefined) =>
    doc !== undefined &&
    wanted.every((a) => doc.trustAnchors.some((b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0));
  const repo = s.controller.site.repo;
  let handle: { doc(): ConfigDocument | undefined } | null = null;
  while (!stopRequested && configUrl === url) {
    try {
      handle ??= await repo.find<ConfigDocument>(url as Parameters<typeof repo.find>[0]);
      if (holds(handle.doc())) break;
    } catch {
      // Not found yet (the cloud unreachable): try again.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (stopRequested || configUrl !== url) return;
  log.info({ configUrl: url }, "cloud config document carries this site's trust anchors: attached");
  await s.controller.attachConfig(url);
}

/** The provisioned document's anchors and signed revocation list, for the cloud to publish to this site. */
function trustOf(doc: ConfigDocument | null): SiteTrust {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  const list = doc?.revocationList ?? null;
  return {
    anchors: (doc?.trustAnchors ?? []).map(b64),
    revocationList: list
      ? { signed: b64(list.signed), issuedAtMs: list.issuedAtMs, nextUpdateMs: list.nextUpdateMs }
      : null,
  };
}
