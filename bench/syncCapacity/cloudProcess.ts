/**
 * The cloud side of the capacity bench, in its own process so its memory is its own: one real
 * CloudPeer (SQLite, libp2p on 127.0.0.1) with its live telemetry gateway. Answers the parent's
 * requests: register sites, and stats (RSS and heap after a GC, CPU, connected sites, telemetry
 * received, sequence gaps, delivery latency percentiles since the last reset).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { serveRequests } from "./ipc.js";

export interface SiteRegistration {
  readonly siteId: string;
  readonly peerId: string;
  readonly rootUrl: string;
}

export interface CloudStats {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** CPU time used since the last reset, as a share of one core (1 = one core busy). */
  readonly cpuCores: number;
  readonly windowMs: number;
  readonly sitesRegistered: number;
  readonly sitesConnected: number;
  readonly sitesLive: number;
  readonly received: number;
  readonly gaps: number;
  readonly rejected: number;
  /** libp2p connections open now (sites that connected but whose repo has not joined yet included). */
  readonly connections: number;
  /** Since the start: connections closed, and refusals by reason (gater, write guard). */
  readonly connectionsClosed: number;
  readonly refused: Record<string, number>;
  readonly latencyMs: {
    readonly n: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  };
}

export type CloudRequest =
  | { cmd: "address" }
  | { cmd: "connected" }
  | { cmd: "register"; sites: SiteRegistration[] }
  | { cmd: "stats"; reset: boolean }
  | { cmd: "stop" };

const dir = mkdtempSync(join(tmpdir(), "cm-bench-capacity-cloud-"));
const refused: Record<string, number> = {};
let connectionsClosed = 0;
const cloud = await CloudPeer.start({
  dataDir: dir,
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip4/127.0.0.1/tcp/0"],
  clock: systemClock,
  onRefused: (_peer, why) => void (refused[why] = (refused[why] ?? 0) + 1),
});
cloud.node.addEventListener("connection:close", () => void connectionsClosed++);
let latencies: number[] = [];
let windowStart = { at: performance.now(), cpu: process.cpuUsage(), received: 0, gaps: 0, rejected: 0 };
const rejectedNow = () => Object.values(cloud.live.stats().rejected).reduce((a, b) => a + b, 0);
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

serveRequests(async (req: CloudRequest) => {
  switch (req.cmd) {
    case "address":
      return `${cloud.node.getMultiaddrs()[0]!.toString()}`;
    case "connected":
      return cloud.repo.peers.length;
    case "register":
      for (const s of req.sites) {
        cloud.registerSite(s.siteId, s.peerId, s.rootUrl);
        // Delivery latency: the site's send time against this process's receipt (one machine, one clock).
        cloud.live.subscribe(s.siteId, (m, receivedAtMs) => void latencies.push(receivedAtMs - m.siteTimeMs));
      }
      return cloud.syncState().length;
    case "stats": {
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      const live = cloud.live.stats();
      const sorted = [...latencies].sort((a, b) => a - b);
      const cpu = process.cpuUsage(windowStart.cpu);
      const windowMs = performance.now() - windowStart.at;
      const stats: CloudStats = {
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        cpuCores: (cpu.user + cpu.system) / 1000 / windowMs,
        windowMs,
        sitesRegistered: cloud.syncState().length,
        sitesConnected: cloud.repo.peers.length,
        sitesLive: cloud.live.sitesLive(),
        received: live.received - windowStart.received,
        gaps: live.gaps - windowStart.gaps,
        rejected: rejectedNow() - windowStart.rejected,
        connections: cloud.node.getConnections().length,
        connectionsClosed,
        refused: { ...refused },
        latencyMs: {
          n: sorted.length,
          p50: quantile(sorted, 0.5),
          p99: quantile(sorted, 0.99),
          max: sorted.at(-1) ?? 0,
        },
      };
      if (req.reset) {
        latencies = [];
        windowStart = {
          at: performance.now(),
          cpu: process.cpuUsage(),
          received: live.received,
          gaps: live.gaps,
          rejected: rejectedNow(),
        };
      }
      return stats;
    }
    case "stop":
      await cloud.stop();
      rmSync(dir, { recursive: true, force: true });
      setImmediate(() => process.exit(0));
      return true;
  }
});
