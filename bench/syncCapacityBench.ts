/**
 * bench:sync, second part: how many connected sites with live telemetry one cloud-peer process holds
 * on this machine. The cloud peer runs alone in a child process (its RSS and heap are its own); the
 * sites run in two other processes, each site real but light (own libp2p identity and node, own
 * automerge-repo on SQLite with a root document and a day journal, 20 stalls of live telemetry every
 * 5 s on its root). Sites are added in steps; at each step, over a 10 s window: cloud RSS and heap,
 * CPU, messages received per second, delivery latency (site send → gateway receipt, one clock) and
 * messages lost (sequence gaps). Stops at a ceiling: p99 > 2 s, a lost message, sites that do not
 * connect, BENCH_SYNC_CAPACITY_MAX sites (2000) or the wall-time budget (BENCH_SYNC_CAPACITY_BUDGET_S,
 * 300 s, checked before each step). Sites connect at BENCH_SYNC_CAPACITY_CONNECTS_PER_S (20) new
 * connections per second in all. Baseline in the same run: the cloud process with 0 sites. Everything
 * on 127.0.0.1.
 */
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { BenchChild, benchCrashPolicy } from "./syncCapacity/ipc.js";
import type { CloudStats, SiteRegistration } from "./syncCapacity/cloudProcess.js";

const STEPS = [25, 50, 100, 200, 250, 300, 400, 600, 800, 1000, 1200, 1600, 2000];
const STALLS = 20;
const INTERVAL_MS = 5_000;
const WARMUP_MS = 6_000;
const WINDOW_MS = 10_000;
const P99_CEILING_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

interface Row {
  readonly sites: number;
  readonly stats: CloudStats;
  readonly ok: boolean;
}

/** Runs the ramp and prints its table and figures; resolves when every child process has exited. Fails if a child cannot start. */
export async function runSyncCapacityBench(): Promise<void> {
  const max = Number(process.env.BENCH_SYNC_CAPACITY_MAX ?? 2000);
  const budgetMs = Number(process.env.BENCH_SYNC_CAPACITY_BUDGET_S ?? 300) * 1000;
  // New connections per second from all sites together (all share 127.0.0.1; the cloud peer's limits admit 1,000 per second per host).
  const connectsPerS = Number(process.env.BENCH_SYNC_CAPACITY_CONNECTS_PER_S ?? 20);
  const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
  // BENCH_SYNC_CAPACITY_CLOUD_FLAGS: extra Node flags for the cloud process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const cloudFlags = (process.env.BENCH_SYNC_CAPACITY_CLOUD_FLAGS ?? "").split(" ").filter((f) => f !== "");
  const cloud = BenchChild.start(here("./syncCapacity/cloudProcess.ts"), ["--expose-gc", ...cloudFlags]);
  const procs = [
    BenchChild.start(here("./syncCapacity/sitesProcess.ts")),
    BenchChild.start(here("./syncCapacity/sitesProcess.ts")),
  ];
  const loadAtStart = loadavg();
  const t0 = performance.now();
  const rows: Row[] = [];
  let stop = `bounded maximum of ${max} sites reached`;
  try {
    const address = await cloud.request<string>({ cmd: "address" });
    await cloud.request({ cmd: "stats", reset: true });
    await sleep(3_000);
    rows.push({ sites: 0, stats: await cloud.request<CloudStats>({ cmd: "stats", reset: true }), ok: true });
    let current = 0;
    for (const target of STEPS.filter((n) => n <= max)) {
      if (performance.now() - t0 > budgetMs) {
        stop = `wall-time budget of ${budgetMs / 1000} s spent`;
        break;
      }
      const ids = Array.from({ length: target - current }, (_, i) => `bench-site-${current + i}`);
      const parts = procs.map((_, k) => ids.filter((_, i) => i % procs.length === k));
      const regs = (
        await Promise.all(
          procs.map((p, k) => p.request<SiteRegistration[]>({ cmd: "create", siteIds: parts[k]! })),
        )
      ).flat();
      await cloud.request({ cmd: "register", sites: regs });
      await Promise.all(
        procs.map((p, k) =>
          p.request({
            cmd: "connect",
            siteIds: parts[k]!,
            cloud: address,
            perSecond: connectsPerS / procs.length,
          }),
        ),
      );
      current = target;
      // 40 s: a site refused once (admission limits) redials with a backoff that doubles up to 30 s.
      const until = performance.now() + 40_000;
      while ((await cloud.request<number>({ cmd: "connected" })) < target && performance.now() < until)
        await sleep(500);
      await sleep(WARMUP_MS);
      await cloud.request({ cmd: "stats", reset: true });
      await Promise.all(procs.map((p) => p.request({ cmd: "stats" })));
      await sleep(WINDOW_MS);
      const stats = await cloud.request<CloudStats>({ cmd: "stats", reset: false });
      const sitesCpu = await Promise.all(procs.map((p) => p.request<{ cpuCores: number }>({ cmd: "stats" })));
      // Diagnostics of the ceiling (stderr): connections the cloud's libp2p holds, drops, refusals, and the sites processes' CPU.
      console.error(
        `bench:sync capacity: ${target} sites: ${stats.connections} libp2p connections, ${stats.connectionsClosed} closed so far, refused ${JSON.stringify(stats.refused)}; cloud CPU ${stats.cpuCores.toFixed(2)}, sites processes CPU ${sitesCpu.map((c) => c.cpuCores.toFixed(2)).join(" + ")} cores`,
      );
      const why =
        stats.sitesConnected < target
          ? `only ${stats.sitesConnected} of ${target} sites connected`
          : stats.sitesLive < target
            ? `only ${stats.sitesLive} of ${target} sites live`
            : stats.gaps > 0
              ? `${stats.gaps} messages lost at ${target} sites`
              : stats.latencyMs.p99 > P99_CEILING_MS
                ? `p99 latency ${stats.latencyMs.p99} ms > ${P99_CEILING_MS} ms at ${target} sites`
                : null;
      rows.push({ sites: target, stats, ok: why === null });
      if (why) {
        stop = why;
        break;
      }
    }
  } finally {
    await Promise.all([...procs.map((p) => p.stop()), cloud.stop()]);
  }
  print(rows, stop, (performance.now() - t0) / 1000, connectsPerS, loadAtStart);
}

function print(
  rows: readonly Row[],
  stop: string,
  wallS: number,
  connectsPerS: number,
  loadAtStart: readonly number[],
): void {
  const base = rows[0]!.stats;
  const held = [...rows].reverse().find((r) => r.ok && r.sites > 0) ?? null;
  console.log(
    `\nbench:sync capacity: one cloud-peer process, sites with ${STALLS} stalls of live telemetry every ${INTERVAL_MS / 1000} s, ${WINDOW_MS / 1000} s window per step, sites connecting at ${connectsPerS}/s, ${wallS.toFixed(0)} s in all; machine load average (1 min) ${loadAtStart[0]!.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end on ${cpus().length} cores\n`,
  );
  console.log(
    "| sites | connected | cloud RSS MiB | cloud heap MiB | cloud CPU (cores) | messages/s (expected) | latency p50 / p99 / max ms | lost |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const s = r.stats;
    const rate = (s.received * 1000) / s.windowMs;
    console.log(
      `| ${r.sites}${r.ok ? "" : " (ceiling)"} | ${s.sitesConnected} | ${mib(s.rssBytes)} | ${mib(s.heapUsedBytes)} | ${s.cpuCores.toFixed(2)} | ${rate.toFixed(1)} (${((r.sites * 1000) / INTERVAL_MS).toFixed(1)}) | ${r.sites === 0 ? "-" : `${s.latencyMs.p50} / ${s.latencyMs.p99} / ${s.latencyMs.max}`} | ${s.gaps} |`,
    );
  }
  console.log("");
  console.log("| measure | value |");
  console.log("|---|---:|");
  console.log(
    `| sites held (connected, live, no loss, p99 ≤ ${P99_CEILING_MS / 1000} s) | ${held ? held.sites : 0} |`,
  );
  console.log(`| stopped because | ${stop} |`);
  console.log(`| cloud RSS with 0 sites (baseline) | ${mib(base.rssBytes)} MiB |`);
  if (held) {
    console.log(`| cloud RSS at ${held.sites} sites | ${mib(held.stats.rssBytes)} MiB |`);
    console.log(
      `| memory per site (RSS at N − RSS at 0) / N | ${((held.stats.rssBytes - base.rssBytes) / held.sites / 1024).toFixed(0)} KiB |`,
    );
    console.log(
      `| heap per site (after GC) | ${((held.stats.heapUsedBytes - base.heapUsedBytes) / held.sites / 1024).toFixed(0)} KiB |`,
    );
    console.log(
      `| cloud CPU per 100 sites | ${(((held.stats.cpuCores - base.cpuCores) * 100) / held.sites).toFixed(3)} cores |`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchCrashPolicy();
  await runSyncCapacityBench();
  process.exit(0);
}
