/**
 * npm run bench:live: N concurrent WebSocket viewers on one gateway process. For the cloud's driver
 * live feed and for a plain `ws` broadcast of the same frames (baseline, same run, same viewers
 * process), prints reading-to-viewer latency p50/p99 and server memory per viewer, and the ratios.
 * Each server runs in its own process (memory is its own, measured after a GC); the viewers in
 * another (one file descriptor per socket on each side).
 */
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { BenchChild } from "./syncCapacity/ipc.js";
import type { ServerRequest } from "./liveBench/serverProcess.js";
import type { ViewersRequest } from "./liveBench/viewersProcess.js";

const USAGE = `npm run bench:live -- [--viewers 10000] [--messages 20] [--interval-ms 500] [--json]

Connects --viewers WebSocket clients to the gateway and to a plain ws server in turn, publishes
--messages readings --interval-ms apart to all of them, prints latency and memory per viewer.`;

interface Flags {
  viewers: number;
  messages: number;
  intervalMs: number;
  json: boolean;
}

function flags(): Flags | string {
  let values;
  try {
    values = parseArgs({
      options: {
        viewers: { type: "string", default: "10000" },
        messages: { type: "string", default: "20" },
        "interval-ms": { type: "string", default: "500" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (values.help) return "";
  const int = (s: string | undefined, min: number) =>
    s && /^\d+$/.test(s) && Number(s) >= min ? Number(s) : null;
  const viewers = int(values.viewers, 1);
  const messages = int(values.messages, 1);
  const intervalMs = int(values["interval-ms"], 1);
  if (viewers === null || messages === null || intervalMs === null)
    return "--viewers, --messages and --interval-ms take positive integers";
  return { viewers, messages, intervalMs, json: values.json ?? false };
}

interface Measure {
  readonly mode: "gateway" | "ws";
  readonly viewers: number;
  readonly frames: number;
  readonly expected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rssPerViewerBytes: number;
  readonly heapPerViewerBytes: number;
}

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

async function measure(mode: "gateway" | "ws", f: Flags): Promise<Measure> {
  const server = BenchChild.start(here("./liveBench/serverProcess.ts"), [
    "--expose-gc",
    "--max-old-space-size=4096",
  ]);
  const viewers = BenchChild.start(here("./liveBench/viewersProcess.ts"), ["--max-old-space-size=4096"]);
  try {
    const { url, token } = await server.request<{ url: string; token: string | null }>({
      cmd: "start",
      mode,
    } satisfies ServerRequest);
    const before = await server.request<{ rssBytes: number; heapUsedBytes: number }>({
      cmd: "memory",
    } satisfies ServerRequest);
    const { connected } = await viewers.request<{ connected: number }>({
      cmd: "connect",
      url,
      token,
      n: f.viewers,
    } satisfies ViewersRequest);
    const after = await server.request<{ rssBytes: number; heapUsedBytes: number; viewers: number }>({
      cmd: "memory",
    } satisfies ServerRequest);
    if (after.viewers !== f.viewers || connected !== f.viewers)
      throw new Error(`${mode}: ${after.viewers} of ${f.viewers} viewers held`);
    await server.request({
      cmd: "publish",
      count: f.messages,
      intervalMs: f.intervalMs,
    } satisfies ServerRequest);
    const collected = viewers.request<{
      frames: number;
      expected: number;
      p50Ms: number;
      p99Ms: number;
      maxMs: number;
    }>({
      cmd: "collect",
      perViewer: f.messages,
      idleMs: 15_000,
    } satisfies ViewersRequest);
    const r = await collected;
    return {
      mode,
      viewers: f.viewers,
      ...r,
      rssPerViewerBytes: (after.rssBytes - before.rssBytes) / f.viewers,
      heapPerViewerBytes: (after.heapUsedBytes - before.heapUsedBytes) / f.viewers,
    };
  } finally {
    await Promise.all([server.stop(), viewers.stop()]);
  }
}

async function main(): Promise<number> {
  const f = flags();
  if (typeof f === "string") {
    if (f) console.error(`bench:live: ${f}`);
    console[f ? "error" : "log"](USAGE);
    return f ? 2 : 0;
  }
  const baseline = await measure("ws", f);
  const gateway = await measure("gateway", f);
  if (f.json) {
    console.log(JSON.stringify({ gateway, baseline }, null, 2));
    return 0;
  }
  const kib = (b: number) => (b / 1024).toFixed(1);
  const ms = (v: number) => v.toFixed(1);
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "n/a");
  console.log(
    `bench:live: ${f.viewers.toLocaleString("en")} viewers on one process, ${f.messages} readings ${f.intervalMs} ms apart, each to every viewer (baseline: plain ws broadcast of the same frames in the same run); load average at the end ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores\n`,
  );
  console.log("| measure | gateway | plain ws | ratio gateway/ws |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| frames delivered / expected | ${gateway.frames.toLocaleString("en")} / ${gateway.expected.toLocaleString("en")} | ${baseline.frames.toLocaleString("en")} / ${baseline.expected.toLocaleString("en")} | |`,
  );
  console.log(
    `| reading-to-viewer latency p50 (ms) | ${ms(gateway.p50Ms)} | ${ms(baseline.p50Ms)} | ${ratio(gateway.p50Ms, baseline.p50Ms)} |`,
  );
  console.log(
    `| reading-to-viewer latency p99 (ms) | ${ms(gateway.p99Ms)} | ${ms(baseline.p99Ms)} | ${ratio(gateway.p99Ms, baseline.p99Ms)} |`,
  );
  console.log(
    `| latency max (ms) | ${ms(gateway.maxMs)} | ${ms(baseline.maxMs)} | ${ratio(gateway.maxMs, baseline.maxMs)} |`,
  );
  console.log(
    `| server RSS per viewer (KiB) | ${kib(gateway.rssPerViewerBytes)} | ${kib(baseline.rssPerViewerBytes)} | ${ratio(gateway.rssPerViewerBytes, baseline.rssPerViewerBytes)} |`,
  );
  console.log(
    `| server heap per viewer (KiB) | ${kib(gateway.heapPerViewerBytes)} | ${kib(baseline.heapPerViewerBytes)} | ${ratio(gateway.heapPerViewerBytes, baseline.heapPerViewerBytes)} |`,
  );
  return gateway.frames === gateway.expected ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:live: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
