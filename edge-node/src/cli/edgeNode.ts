/**
 * The edge-node daemon: one site controller from a config file, on real time. Meters bound as
 * `sdm630` are read over Modbus RTU on their serial port; stalls without a real power-stage driver
 * use the simulated stage and vehicle link (the only EVSE drivers that exist so far).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { SeededRandom, cryptoRandom, systemClock } from "@chargemesh/shared-model";
import { SimStall } from "@chargemesh/hal";
import { SimSecureElement } from "@chargemesh/hal";
import { Sdm630Meter } from "@chargemesh/hal";
import { loadSiteConfig } from "../config/siteConfig.js";
import { AllowlistAuthorizer } from "../auth/allowlistAuthorizer.js";
import { PowerManager } from "../power/powerManager.js";
import { realScheduler } from "../power/scheduler.js";
import { runSiteRealTime } from "../runtime/siteRuntime.js";
import { localOperatorCertifier } from "../audit/meterProvisioning.js";
import { nodeEd25519 } from "../crypto/nodeEd25519.js";
import { createSyncNode, exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { loadOrCreatePrivateKey } from "../sync/peerIdentity.js";

const HELP = `edge-node --config site.json [--operator-seed HEX]

Runs a site controller on real time with its local API (config: api.host/api.port). With a "sync"
section it dials its cloud peers (home region first, failing over to the next) and logs the peer ID
and root document URL the registry needs. Exit codes:
0 stopped cleanly (SIGINT/SIGTERM), 2 usage or config error, 70 internal error.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: "string" }, "operator-seed": { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help || !values.config) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  let config;
  try {
    config = loadSiteConfig(values.config);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const log = pino({ name: "edge-node", base: { site: config.siteId } });
  exitOnUnexpectedErrors(log);
  const clock = systemClock;
  const stalls = config.stalls.map((s) => new SimStall({ meterId: s.meterId, maxW: s.maxW, minW: s.minW, reactionDelayMs: 500 }, clock));
  const hardware = config.stalls.map((s, i) => ({
    config: s,
    meter: s.meter.kind === "sdm630" ? new Sdm630Meter(s.meterId, { path: s.meter.path, unitId: s.meter.unitId, baudRate: s.meter.baudRate, timeoutMs: 500 }, clock) : stalls[i]!.meter,
    stage: stalls[i]!.stage,
    link: stalls[i]!.link,
  }));
  const operatorSeed = values["operator-seed"] ? Uint8Array.from(Buffer.from(values["operator-seed"], "hex")) : new SeededRandom(1).bytes(32);
  let power!: PowerManager;
  const sync = config.sync;
  const node = sync ? await createSyncNode({ privateKey: await loadOrCreatePrivateKey(sync.identityFile ?? join(config.dataDir, "peer-key")) }) : null;
  const site = await runSiteRealTime({
    config,
    clock,
    random: cryptoRandom,
    hardware,
    authorizer: new AllowlistAuthorizer(() => undefined, { maxEnergyWh: config.offlinePolicy.unknownContractMaxEnergyWh }),
    secureElement: new SimSecureElement(join(config.dataDir, "secure-element.json")),
    power: (hw) =>
      (power = new PowerManager({
        clock,
        scheduler: realScheduler,
        limits: { id: "site", limitW: config.gridLimitW },
        stalls: hw.map((h) => ({ stallId: h.config.id, nodeId: "site", stage: h.stage, safeLimitW: h.config.safeLimitW, acceptanceW: () => h.link.acceptance()?.maxPowerW ?? null })),
        log,
      })),
    certifyMeter: localOperatorCertifier("local-operator", operatorSeed, nodeEd25519, clock),
    log,
    api: config.api,
    currentPlan: () => power.currentPlan(),
    beforeTick: () => {
      for (const s of stalls) s.advanceTo(clock.now());
    },
    ...(sync && node ? { sync: { node, dial: sync.cloudPeers, liveIntervalMs: sync.liveIntervalMs } } : {}),
  });
  void power.start();
  // The config document arrives once the cloud admits the site; the site serves meanwhile.
  if (sync?.configUrl) void site.controller.attachConfig(sync.configUrl);
  // What the registry needs to admit this site: its peer ID and its root document.
  const identity = node ? { peerId: node.peerId.toString(), rootUrl: site.controller.site.root.url, cloudPeers: sync?.cloudPeers } : {};
  log.info({ api: site.api?.url, stalls: config.stalls.length, ...identity }, "edge-node running");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await power.close();
  await site.stop();
  await node?.stop();
  for (const h of hardware) await h.meter.close();
  log.info("edge-node stopped");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(70);
  },
);
