/**
 * npm start: the network on its embedded default, in one process: a cloud peer (SQLite, libp2p on
 * localhost) and simulated sites (SQLite stores, simulated stalls, cars and meters) that sync their
 * documents to it, each site at `--speed` times real time with its local API on localhost.
 * (This entry point wires edge-node and cloud-peer together; neither package imports the other.)
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import pino from "pino";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { createSyncNode, exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { startCloudApi } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { startLocalApi } from "@chargemesh/edge-node";
import { technicianTokenDigest } from "@chargemesh/edge-node";

const HELP = `npm start -- [--sites 2] [--stalls 20] [--vehicles 300] [--speed 60] [--port 8710] [--data .data/network] [--seconds N]

Runs a cloud peer and --sites simulated sites. Site APIs on 127.0.0.1:--port, --port+1, ...; the
cloud's on --port+100. --speed 60 runs one simulated minute per second. Ctrl-C stops cleanly.`;

class StopSignal extends Error {}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sites: { type: "string", default: "2" },
      stalls: { type: "string", default: "20" },
      vehicles: { type: "string", default: "300" },
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
  const basePort = Number(values.port);
  const log = pino({ name: "chargemesh" });
  exitOnUnexpectedErrors(log);
  let stopRequested = false;
  process.once("SIGINT", () => (stopRequested = true));
  process.once("SIGTERM", () => (stopRequested = true));
  const wallStart = performance.now();

  const cloud = await CloudPeer.start({ dataDir: join(values.data!, "cloud"), privateKey: await generateKeyPair("Ed25519"), listen: ["/ip4/127.0.0.1/tcp/0"], clock: systemClock, onRefused: (p, why) => log.warn({ peer: p, why }, "peer refused") });
  const cloudApi = await startCloudApi(cloud, "127.0.0.1", await freePort(basePort + 100));
  const sites = [];
  for (let i = 0; i < Number(values.sites); i++) {
    const siteId = `site-${i + 1}`;
    const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
    let simStart = 0;
    const site = await SimulatedSite.create({
      siteId,
      dataDir: join(values.data!, siteId),
      stalls: Number(values.stalls),
      vehicles: Number(values.vehicles),
      seed: i + 1,
      offline: false,
      startMs: Date.UTC(2026, 5, 1, 5),
      windowMs: 16 * 3_600_000,
      log: log.child({ site: siteId }),
      sync: { node, dial: [cloud.node.getMultiaddrs()[0]!.toString()] },
      onStep: async (now) => {
        if (stopRequested || (values.seconds && performance.now() - wallStart > Number(values.seconds) * 1000)) throw new StopSignal();
        const aheadMs = (now - simStart) / speed - (performance.now() - wallStart);
        if (aheadMs > 1) await new Promise((r) => setTimeout(r, aheadMs));
      },
    });
    simStart = site.clock.now();
    cloud.registerSite(siteId, node.peerId.toString(), site.controller.site.root.url);
    // Provisioning hands the site its config document: trust material, and the acknowledgements it archives by.
    await site.controller.attachConfig(cloud.siteConfigUrl(siteId));
    const api = await startLocalApi(
      {
        siteId: site.config.siteId,
        clock: site.clock,
        gridLimitW: () => site.config.gridLimitW,
        orchestrator: site.controller.orchestrator,
        journal: site.controller.journal,
        technicians: [{ id: "demo-technician" as never, tokenSha256: technicianTokenDigest("technician-demo-token") }],
        checkSessionToken: (t) => site.controller.checkSessionToken(t),
        currentPlan: () => site.power.currentPlan(),
        metrics: site.controller.metrics.registry,
      },
      "127.0.0.1",
      await freePort(basePort + i),
    );
    sites.push({ siteId, site, api, node });
  }
  const lines = sites.map((s) => `  ${s.siteId.padEnd(8)} ${s.api.url}/api/site   live ${s.api.url.replace("http", "ws")}/live   metrics ${s.api.url}/metrics`);
  console.error(`\nchargemesh: a cloud peer and ${sites.length} sites (${values.stalls} stalls each) at ${speed}x real time\n  cloud    ${cloudApi.url}/api/sites   metrics ${cloudApi.url}/metrics\n${lines.join("\n")}\n  technician credential: Authorization: Bearer technician-demo-token\n  Ctrl-C to stop\n`);
  const status = setInterval(() => log.info({ sync: cloud.syncState() }, "cloud sync state"), 10_000);
  await Promise.all(
    sites.map(async ({ site, siteId }) => {
      try {
        log.info({ site: siteId, ...(await site.run()) }, "simulated day complete");
      } catch (e) {
        if (!(e instanceof StopSignal)) throw e;
      }
    }),
  );
  clearInterval(status);
  log.info({ sync: cloud.syncState() }, "stopping");
  for (const s of sites) {
    await s.api.close();
    await s.site.stop();
    await s.node.stop();
  }
  await cloudApi.close();
  await cloud.stop();
  return 0;
}

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
