/**
 * The sites side of the capacity bench: many lightweight but real sites in one process. Each has its
 * own libp2p node and Ed25519 identity, its own automerge-repo on SQLite (SiteRepo: a root document and
 * one day journal) and a LiveTelemetryPublisher broadcasting 20 stalls every 5 s on its root. No
 * orchestrator or hardware: the figures are synthetic integers that change with time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Libp2p } from "libp2p";
import type { PeerId } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { siteId as toSiteId, systemClock } from "@chargemesh/shared-model";
import type { LiveStallFigures } from "@chargemesh/shared-model";
import { Libp2pNetworkAdapter, createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SiteRepo } from "@chargemesh/edge-node";
import { LiveTelemetryPublisher } from "@chargemesh/edge-node";
import { serveRequests } from "./ipc.js";
import type { SiteRegistration } from "./cloudProcess.js";

export type SitesRequest =
  | { cmd: "create"; siteIds: string[] }
  | { cmd: "connect"; siteIds: string[]; cloud: string; perSecond: number }
  | { cmd: "stats" }
  | { cmd: "stop" };

const STALLS = 20;
const INTERVAL_MS = 5_000;

interface BenchSite {
  readonly siteId: string;
  readonly node: Libp2p;
  readonly store: SiteRepo;
  readonly publisher: LiveTelemetryPublisher;
  /** Wall time from which it publishes (a random phase, so sites do not all send at once). */
  startAtMs: number | null;
}

const dir = mkdtempSync(join(tmpdir(), "cm-bench-capacity-sites-"));
const sites = new Map<string, BenchSite>();

/** 20 stalls: two thirds charging, power and energy moving with time; integers only. */
function figures(index: number): LiveStallFigures[] {
  const t = Math.floor(Date.now() / 1000);
  return Array.from({ length: STALLS }, (_, s) => {
    const charging = (s + index) % 3 !== 0;
    const grantedW = charging ? 50_000 + ((s * 7_919 + index * 104_729) % 100_000) : 0;
    return {
      stallId: `stall-${s + 1}`,
      phase: charging ? "charging" : "available",
      sessionId: charging ? `${"bench-site-" + index}:S${String(s).padStart(10, "0")}` : null,
      powerW: charging ? grantedW - ((t * 37 + s) % 5_000) : 0,
      sessionEnergyWh: charging ? (t % 86_400) * 10 + s : 0,
      grantedW,
    };
  });
}

async function create(siteId: string, index: number): Promise<SiteRegistration> {
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const store = await SiteRepo.open(
    toSiteId(siteId),
    join(dir, siteId),
    [],
    node.peerId.toString() as PeerId,
  );
  const day = new Date().toISOString().slice(0, 10);
  await store.findOrCreate("journals", day, () => ({
    schemaVersion: 1,
    siteId,
    day,
    sessions: {},
    technicianActions: [],
  }));
  const publisher = new LiveTelemetryPublisher({
    siteId,
    clock: systemClock,
    intervalMs: INTERVAL_MS,
    figures: () => figures(index),
    broadcast: (m) => store.root.broadcast(m),
  });
  sites.set(siteId, { siteId, node, store, publisher, startAtMs: null });
  return { siteId, peerId: node.peerId.toString(), rootUrl: store.root.url };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cpuMark = { at: performance.now(), usage: process.cpuUsage() };

// The sites' control loop: every 100 ms, each connected site publishes when its telemetry is due.
const loop = setInterval(() => {
  const now = Date.now();
  for (const s of sites.values()) if (s.startAtMs !== null && now >= s.startAtMs) s.publisher.tick();
}, 100);

serveRequests(async (req: SitesRequest) => {
  switch (req.cmd) {
    case "create": {
      const out: SiteRegistration[] = [];
      for (const id of req.siteIds) out.push(await create(id, Number(id.split("-").at(-1))));
      return out;
    }
    case "connect":
      // Paced at the parent's rate: every site here is 127.0.0.1, and a burst of handshakes would measure the ramp, not the hold.
      for (const id of req.siteIds) {
        const s = sites.get(id)!;
        s.store.repo.networkSubsystem.addNetworkAdapter(
          new Libp2pNetworkAdapter({ node: s.node, dial: [req.cloud] }),
        );
        s.startAtMs = Date.now() + Math.floor(Math.random() * INTERVAL_MS);
        await sleep(1000 / req.perSecond);
      }
      return req.siteIds.length;
    case "stats": {
      let sent = 0;
      for (const s of sites.values()) sent += s.publisher.sent;
      // CPU since the previous stats request, as a share of one core.
      const cpu = process.cpuUsage(cpuMark.usage);
      const cpuCores = (cpu.user + cpu.system) / 1000 / (performance.now() - cpuMark.at);
      cpuMark = { at: performance.now(), usage: process.cpuUsage() };
      return { sites: sites.size, sent, rssBytes: process.memoryUsage().rss, cpuCores };
    }
    case "stop":
      clearInterval(loop);
      for (const s of sites.values()) {
        await s.store.close().catch(() => undefined);
        await Promise.resolve(s.node.stop()).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
      setImmediate(() => process.exit(0));
      return true;
  }
});
