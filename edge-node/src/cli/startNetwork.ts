/**
 * npm start: the network on its embedded default. At this stage one simulated site (SQLite store,
 * simulated stalls, cars and meters) runs at `--speed` times real time with its local API on
 * localhost; cloud peers join as the sync work lands.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import pino from "pino";
import { SimulatedSite } from "../sim/simulatedSite.js";
import { startLocalApi } from "../api/localApi.js";
import { technicianTokenDigest } from "../api/technicianAuth.js";

const HELP = `npm start -- [--stalls 20] [--vehicles 400] [--speed 60] [--port 8710] [--data .data/network] [--seconds N]

Runs a simulated site on its embedded default: SQLite under --data, the local API on 127.0.0.1:--port,
structured JSON logs on stdout. --speed 60 runs one simulated minute per second. Ctrl-C stops cleanly.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stalls: { type: "string", default: "20" },
      vehicles: { type: "string", default: "400" },
      speed: { type: "string", default: "60" },
      port: { type: "string", default: "8710" },
      data: { type: "string", default: ".data/network" },
      seconds: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const speed = Math.max(1, Number(values.speed));
  const log = pino({ name: "chargemesh" });
  const startMs = Date.UTC(2026, 5, 1, 5);
  let api: Awaited<ReturnType<typeof startLocalApi>> | null = null;
  let stopRequested = false;
  const wallStart = performance.now();
  let simStart = 0;
  const site = await SimulatedSite.create({
    siteId: "site-1",
    dataDir: join(values.data!, "site-1"),
    stalls: Number(values.stalls),
    vehicles: Number(values.vehicles),
    seed: 1,
    offline: true,
    startMs,
    windowMs: 16 * 3_600_000,
    log,
    onStep: async (now) => {
      if (stopRequested || (values.seconds && performance.now() - wallStart > Number(values.seconds) * 1000)) throw new StopSignal();
      const aheadMs = (now - simStart) / speed - (performance.now() - wallStart);
      if (aheadMs > 1) await new Promise((r) => setTimeout(r, aheadMs));
    },
  });
  simStart = site.clock.now();
  const technicianToken = "technician-demo-token";
  api = await startLocalApi(
    {
      siteId: site.config.siteId,
      clock: site.clock,
      gridLimitW: () => site.config.gridLimitW,
      orchestrator: site.controller.orchestrator,
      journal: site.controller.journal,
      technicians: [{ id: "demo-technician" as never, tokenSha256: technicianTokenDigest(technicianToken) }],
      checkSessionToken: (t) => site.controller.checkSessionToken(t),
      currentPlan: () => site.power.currentPlan(),
      metrics: site.controller.metrics.registry,
    },
    "127.0.0.1",
    await freePort(Number(values.port)),
  ).catch((e) => {
    throw e;
  });
  log.info({ api: api.url, live: `${api.url.replace("http", "ws")}/live`, metrics: `${api.url}/metrics`, technicianToken }, "chargemesh site running");
  console.error(`\nchargemesh: site-1 with ${values.stalls} stalls at ${speed}x real time\n  local API   ${api.url}/api/site\n  power plan  ${api.url}/api/power/plan\n  live feed   ${api.url.replace("http", "ws")}/live\n  metrics     ${api.url}/metrics\n  technician  Authorization: Bearer ${technicianToken}\n  Ctrl-C to stop\n`);
  process.once("SIGINT", () => (stopRequested = true));
  process.once("SIGTERM", () => (stopRequested = true));
  try {
    const summary = await site.run();
    log.info(summary, "simulated day complete");
  } catch (e) {
    if (!(e instanceof StopSignal)) throw e;
    log.info(site.summary(site.clock.now() - simStart), "stopped");
  }
  await api.close();
  await site.stop();
  return 0;
}

class StopSignal extends Error {}

/** `preferred` when it is free, otherwise any free port. */
async function freePort(preferred: number): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(0));
    srv.listen(preferred, "127.0.0.1", () => srv.close(() => resolve(preferred)));
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(70);
  },
);
