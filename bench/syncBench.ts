/**
 * bench:sync: a busy 50-stall site runs 24 simulated hours with no cloud, then reconnects to a cloud
 * peer over TCP (through a byte-counting proxy). Prints the time to converge (identical heads for every
 * site document) and the bytes sent against the raw bytes of the signed records they carry.
 * Baseline in the same run: the raw record bytes (what a perfect transfer would cost).
 * Then the week part (syncWeekOfflineBench.ts): the same site offline for 7 days, ~7 x (stalls + 1)
 * documents at once (BENCH_SYNC_WEEK=0 skips it). Then the capacity part (syncCapacityBench.ts): how
 * many sites with live telemetry one cloud-peer process holds, and its memory per site
 * (BENCH_SYNC_CAPACITY=0 skips it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import * as A from "@automerge/automerge";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { TcpProxy } from "../testing/tcpProxy.js";
import { benchCrashPolicy } from "./syncCapacity/ipc.js";
import { runSyncCapacityBench } from "./syncCapacityBench.js";
import { runSyncWeekOfflineBench } from "./syncWeekOfflineBench.js";

benchCrashPolicy();
const STALLS = Number(process.env.BENCH_SYNC_STALLS ?? 50);
const VEHICLES = Number(process.env.BENCH_SYNC_VEHICLES ?? 500);
const dir = mkdtempSync(join(tmpdir(), "cm-bench-sync-"));
const cloud = await CloudPeer.start({
  dataDir: join(dir, "cloud"),
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip4/127.0.0.1/tcp/0"],
  clock: systemClock,
});
const cloudPort = Number(cloud.node.getMultiaddrs()[0]!.toString().split("/tcp/")[1]!.split("/")[0]);
const proxy = await TcpProxy.start("127.0.0.1", () => cloudPort);
proxy.cut(); // offline for the whole simulated day
const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
const site = await SimulatedSite.create({
  siteId: "busy-site",
  dataDir: join(dir, "site"),
  stalls: STALLS,
  vehicles: VEHICLES,
  seed: 50,
  offline: true,
  startMs: Date.UTC(2026, 5, 1, 0),
  windowMs: 22 * 3_600_000,
  log: pino({ level: "silent" }),
  sync: { node, dial: [`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${cloud.node.peerId.toString()}`] },
});
cloud.registerSite("busy-site", node.peerId.toString(), site.controller.site.root.url);
const t0 = performance.now();
const summary = await site.run();
const simWallMs = performance.now() - t0;
const urls = site.controller.site.documentUrls();
let rawRecordBytes = 0;
let records = 0;
for (const m of site.controller.ledgerStore.meters())
  for (const r of site.controller.ledgerStore.records(m)) {
    rawRecordBytes += r.length;
    records++;
  }
const bytesBefore = proxy.bytes;
let connectionsOpened = 0;
cloud.node.addEventListener("connection:open", () => connectionsOpened++);
proxy.restore();
const t1 = performance.now();
let connectedAt: number | null = null;
for (;;) {
  if (connectedAt === null && cloud.syncState()[0]!.connected) connectedAt = performance.now();
  let same = true;
  for (const url of urls) {
    const local = A.getHeads((await site.controller.site.repo.find(url)).doc() as A.Doc<unknown>)
      .sort()
      .join();
    const remote = await cloud.repo.find(url).catch(() => null);
    if (
      !remote ||
      A.getHeads(remote.doc() as A.Doc<unknown>)
        .sort()
        .join() !== local
    ) {
      same = false;
      break;
    }
  }
  if (same) break;
  if (performance.now() - t1 > 600_000) throw new Error("did not converge within 10 minutes");
  await new Promise((r) => setTimeout(r, 100));
}
const convergeMs = performance.now() - t1;
const connectedToConvergedMs = performance.now() - (connectedAt ?? t1);
const sent = proxy.bytes - bytesBefore;
console.log(
  `bench:sync: ${STALLS} stalls, ${summary.sessions.completed} sessions, ${records} signed records in ${urls.length} documents, 24 h offline (simulated in ${(simWallMs / 1000).toFixed(1)} s)\n`,
);
console.log("| measure | value |");
console.log("|---|---:|");
console.log(
  `| link restored to converged (includes the site's redial backoff) | ${(convergeMs / 1000).toFixed(2)} s |`,
);
console.log(`| connected to converged | ${(connectedToConvergedMs / 1000).toFixed(2)} s |`);
console.log(`| connections the site opened to the cloud until convergence | ${connectionsOpened} |`);
console.log(`| bytes over the wire (both directions) | ${sent.toLocaleString("en-US")} |`);
console.log(`| raw signed record bytes (baseline) | ${rawRecordBytes.toLocaleString("en-US")} |`);
console.log(`| ratio wire / raw records | ${(sent / rawRecordBytes).toFixed(2)}x |`);
await site.stop();
await node.stop();
await proxy.close();
await cloud.stop();
rmSync(dir, { recursive: true, force: true });
if (process.env.BENCH_SYNC_WEEK !== "0")
  await runSyncWeekOfflineBench({
    documents: urls.length,
    records,
    rawRecordBytes,
    wireBytes: sent,
    restoredToConvergedMs: convergeMs,
    connectedToConvergedMs,
  });
if (process.env.BENCH_SYNC_CAPACITY !== "0") await runSyncCapacityBench();
process.exit(0);
