/**
 * bench:sync, week part (issue 6): a busy site runs 7 simulated days with no cloud (7 x the 24 h
 * part's cars, arrivals over a 7-day window), then reconnects to a cloud peer through a byte-counting
 * TCP proxy. The site keeps one journal per UTC day and one ledger segment per meter per day, so the
 * reconnect syncs ~7 x (stalls + 1) documents at once. Prints documents, records, raw signed-record
 * bytes (the baseline: what a perfect transfer would cost), bytes over the wire and their ratio, the
 * time from link restore to identical heads for every site document, and the cloud peer's RSS and
 * heap after convergence against its own figures before the reconnect (baseline, same run). The cloud
 * peer runs in its own process so its memory is its own. Knobs: BENCH_SYNC_WEEK_STALLS (50),
 * BENCH_SYNC_WEEK_VEHICLES (3500), BENCH_SYNC_WEEK_DAYS (7), BENCH_SYNC_WEEK_CONVERGE_S (600: fails if
 * not converged by then), BENCH_SYNC_WEEK_SIM_BUDGET_S (1200: fails if the simulation takes longer).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SimulatedSite } from "@chargemesh/simulation";
import { TcpProxy } from "../testing/tcpProxy.js";
import { BenchChild, benchCrashPolicy } from "./syncCapacity/ipc.js";
import type { CloudMemory, HeadsMatch } from "./syncWeekOffline/cloudProcess.js";

const DAY_MS = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const num = (n: number) => n.toLocaleString("en-US");

/** The heads the site holds for each of `urls`, as the cloud compares them. */
async function siteHeads(
  site: SimulatedSite,
  urls: readonly AutomergeUrl[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of urls) {
    const handle = await site.controller.site.repo.find(url);
    out[url] = A.getHeads(handle.doc() as A.Doc<unknown>)
      .sort()
      .join();
  }
  return out;
}

/** The 24 h part's figures from the same run, when bench:sync runs both: the week's figures are printed against them. */
export interface DayOfflineBaseline {
  readonly documents: number;
  readonly records: number;
  readonly rawRecordBytes: number;
  readonly wireBytes: number;
  readonly restoredToConvergedMs: number;
  readonly connectedToConvergedMs: number;
}

/** Runs the week-offline part and prints its table; fails if the simulation or the convergence exceeds its bound. */
export async function runSyncWeekOfflineBench(day?: DayOfflineBaseline): Promise<void> {
  const stalls = Number(process.env.BENCH_SYNC_WEEK_STALLS ?? 50);
  const days = Number(process.env.BENCH_SYNC_WEEK_DAYS ?? 7);
  const vehicles = Number(process.env.BENCH_SYNC_WEEK_VEHICLES ?? 500 * days);
  const convergeBoundMs = Number(process.env.BENCH_SYNC_WEEK_CONVERGE_S ?? 600) * 1000;
  const simBudgetMs = Number(process.env.BENCH_SYNC_WEEK_SIM_BUDGET_S ?? 1200) * 1000;
  const loadAtStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), "cm-bench-week-"));
  const cloud = BenchChild.start(
    fileURLToPath(new URL("./syncWeekOffline/cloudProcess.ts", import.meta.url)),
    ["--expose-gc"],
  );
  let proxy: TcpProxy | null = null;
  let site: SimulatedSite | null = null;
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  try {
    const address = await cloud.request<string>({ cmd: "address" });
    const cloudPort = Number(address.split("/tcp/")[1]!.split("/")[0]);
    const cloudPeerId = address.split("/p2p/")[1]!;
    proxy = await TcpProxy.start("127.0.0.1", () => cloudPort);
    proxy.cut(); // offline for the whole simulated week
    const startMs = Date.UTC(2026, 5, 1, 0);
    const t0 = performance.now();
    let nextDay = startMs + DAY_MS;
    site = await SimulatedSite.create({
      siteId: "week-site",
      dataDir: join(dir, "site"),
      stalls,
      vehicles,
      seed: 57,
      offline: true,
      startMs,
      windowMs: days * DAY_MS - 2 * 3_600_000,
      log: pino({ level: "silent" }),
      sync: { node, dial: [`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${cloudPeerId}`] },
      onStep: (now) => {
        if (now < nextDay) return;
        const wallS = (performance.now() - t0) / 1000;
        console.error(
          `bench:sync week: day ${Math.round((nextDay - startMs) / DAY_MS)} simulated (${wallS.toFixed(0)} s)`,
        );
        nextDay += DAY_MS;
        if (performance.now() - t0 > simBudgetMs)
          throw new Error(
            `bench:sync week: simulation exceeded its ${simBudgetMs / 1000} s budget (BENCH_SYNC_WEEK_SIM_BUDGET_S); use fewer stalls or vehicles`,
          );
      },
    });
    await cloud.request({
      cmd: "register",
      siteId: "week-site",
      peerId: node.peerId.toString(),
      rootUrl: site.controller.site.root.url,
    });
    const summary = await site.run();
    const simWallMs = performance.now() - t0;
    const root = site.controller.site.root.doc();
    const journals = Object.keys(root.journals).length;
    const segments = Object.keys(root.segments).length;
    let rawRecordBytes = 0;
    let records = 0;
    for (const m of site.controller.ledgerStore.meters())
      for (const r of site.controller.ledgerStore.records(m)) {
        rawRecordBytes += r.length;
        records++;
      }
    // The documents the week left, fixed at the reconnect (archiving, if it ran, would not shrink the measure).
    const urls = site.controller.site.documentUrls();
    const before = await cloud.request<CloudMemory>({ cmd: "memory" });
    const bytesBefore = proxy.bytes;
    proxy.restore();
    const t1 = performance.now();
    let connectedAt: number | null = null;
    let lastReport = t1;
    let match: HeadsMatch = { identical: 0, total: urls.length };
    for (;;) {
      if (connectedAt === null && (await cloud.request<boolean>({ cmd: "connected" })))
        connectedAt = performance.now();
      match = await cloud.request<HeadsMatch>({ cmd: "match", heads: await siteHeads(site, urls) });
      if (match.identical === match.total) break;
      if (performance.now() - t1 > convergeBoundMs)
        throw new Error(
          `bench:sync week: not converged within ${convergeBoundMs / 1000} s (BENCH_SYNC_WEEK_CONVERGE_S): ${match.identical} of ${match.total} documents identical, ${connectedAt === null ? "never connected" : "connected"}`,
        );
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.error(
          `bench:sync week: ${match.identical} / ${match.total} documents identical after ${((lastReport - t1) / 1000).toFixed(0)} s`,
        );
      }
      await sleep(200);
    }
    const convergedAt = performance.now();
    const sent = proxy.bytes - bytesBefore;
    const after = await cloud.request<CloudMemory>({ cmd: "memory" });
    const connections = await cloud.request<number>({ cmd: "connectionsOpened" });
    const convergeS = (convergedAt - t1) / 1000;
    const connectedS = (convergedAt - (connectedAt ?? t1)) / 1000;
    const s = summary.sessions;
    console.log(
      `\nbench:sync week: ${stalls} stalls, ${vehicles} cars over ${days} days (arrivals cluster around two peaks of the window), ${days * 24} h offline (simulated in ${(simWallMs / 1000).toFixed(0)} s); sessions ${s.completed} completed, ${s.rejected} refused, ${s.failed} failed; machine load average (1 min) ${loadAtStart[0]!.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end on ${cpus().length} cores\n`,
    );
    console.log("| measure | value |");
    console.log("|---|---:|");
    console.log(
      `| documents (root + day journals + ledger segments) | ${match.total} (1 + ${journals} + ${segments}) |`,
    );
    console.log(`| signed records | ${num(records)} |`);
    console.log(`| raw signed record bytes (baseline) | ${num(rawRecordBytes)} |`);
    console.log(`| bytes over the wire (both directions) | ${num(sent)} |`);
    console.log(`| ratio wire / raw records | ${(sent / rawRecordBytes).toFixed(2)}x |`);
    console.log(
      `| link restored to connected (the site's redial backoff) | ${(((connectedAt ?? convergedAt) - t1) / 1000).toFixed(2)} s |`,
    );
    console.log(`| connections the site opened to the cloud until convergence | ${connections} |`);
    console.log(`| link restored to identical heads, every document | ${convergeS.toFixed(2)} s |`);
    console.log(
      `| connected to identical heads | ${connectedS.toFixed(2)} s (${((connectedS * 1000) / match.total).toFixed(1)} ms per document) |`,
    );
    console.log(
      `| cloud RSS / heap before the reconnect (baseline) | ${mib(before.rssBytes)} / ${mib(before.heapUsedBytes)} MiB |`,
    );
    console.log(
      `| cloud RSS / heap after convergence (${after.documentsLoaded} documents loaded) | ${mib(after.rssBytes)} / ${mib(after.heapUsedBytes)} MiB (${(after.rssBytes / before.rssBytes).toFixed(2)}x / ${(after.heapUsedBytes / before.heapUsedBytes).toFixed(2)}x) |`,
    );
    console.log(
      `| cloud heap per document (after GC, over the baseline) | ${((after.heapUsedBytes - before.heapUsedBytes) / match.total / 1024).toFixed(0)} KiB |`,
    );
    if (day) {
      const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
      const perDoc = (ms: number, docs: number) => ms / docs;
      console.log(`| ratio to the 24 h part of this run: documents | ${x(match.total, day.documents)} |`);
      console.log(
        `| ratio to the 24 h part: signed records / raw record bytes | ${x(records, day.records)} / ${x(rawRecordBytes, day.rawRecordBytes)} |`,
      );
      console.log(`| ratio to the 24 h part: bytes over the wire | ${x(sent, day.wireBytes)} |`);
      console.log(
        `| ratio to the 24 h part: link restored to identical heads | ${x(convergedAt - t1, day.restoredToConvergedMs)} |`,
      );
      console.log(
        `| ratio to the 24 h part: connected to identical heads | ${x(connectedS * 1000, day.connectedToConvergedMs)} |`,
      );
      console.log(
        `| ratio to the 24 h part: connected to identical heads per document | ${x(perDoc(connectedS * 1000, match.total), perDoc(day.connectedToConvergedMs, day.documents))} |`,
      );
    }
  } finally {
    await site?.stop().catch(() => undefined);
    await Promise.resolve(node.stop()).catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchCrashPolicy();
  await runSyncWeekOfflineBench();
  process.exit(0);
}
