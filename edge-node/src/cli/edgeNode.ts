/**
 * The edge-node daemon: one site controller from a config file, on real time. Its keys come from the
 * operator's PKI (`keys.siteKeysFile`, written by `chargemesh-pki site-keys`): it refuses to start
 * without them. It authorizes contracts by their certificate chains against the trust anchors,
 * revocation list and account standing of the config document the cloud addresses to it. Meters
 * bound as `sdm630` are read over Modbus RTU on their serial port; stalls bound to an OCPP charger in the
 * config's `ocpp` section are that charger's EVSEs (the site is its CSMS, docs/ocpp.md); other power
 * stages and vehicle links are still simulated (`"kind": "simulated"`, and said in the log at start).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { ChargemeshError, cryptoRandom, systemClock } from "@chargemesh/shared-model";
import { exitCodeOf } from "@chargemesh/error-mapping";
import { SimStall } from "@chargemesh/hal";
import { SimSecureElement } from "@chargemesh/hal";
import { Sdm630Meter } from "@chargemesh/hal";
import { loadSiteConfig } from "../config/siteConfig.js";
import { CertificateAuthorizer, offlinePolicyOf } from "../auth/certificateAuthorizer.js";
import { ConfigDocTrustStore } from "../auth/configDocTrustStore.js";
import { SiteConfigDocument } from "../config/siteConfigDocument.js";
import { SITE_KEYS_COMMAND, loadSiteKeys } from "../config/siteKeys.js";
import type { SiteController } from "../siteController.js";
import { driveLabVehicles } from "./labVehicles.js";
import { PowerManager } from "../power/powerManager.js";
import { realScheduler } from "../power/scheduler.js";
import { runSiteRealTime } from "../runtime/siteRuntime.js";
import { localOperatorCertifier } from "../audit/meterProvisioning.js";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { createSyncNode, exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { loadOrCreatePrivateKey } from "../sync/peerIdentity.js";
import { loadOcppSection } from "../ocpp/ocppConfig.js";
import { ocmfPayloadKeys, startDaemonOcpp } from "../ocpp/ocppDaemon.js";

const HELP = `edge-node --config site.json [--lab-vehicles-stdin]

Runs a site controller on real time with its local API (config: api.host/api.port). Its keys file
(config keys.siteKeysFile) comes from the operator's PKI:
  npm run chargemesh-pki -- site-keys --dir <pki dir> --site <site ID> --out <file>
With a "sync" section it dials its cloud peers (home region first, failing over to the next), logs
the peer ID and root document URL the registry needs, and authorizes from the config document the
cloud addresses to it (sync.configUrl). --lab-vehicles-stdin (lab only) plugs and unplugs simulated
cars holding real contract keys from JSON lines on standard input (see labVehicles.ts). Exit codes:
0 stopped cleanly (SIGINT/SIGTERM), 2 usage or config error, 9 keys missing, 70 internal error.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      strict: true,
      options: {
        config: { type: "string" },
        "lab-vehicles-stdin": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help || !values.config) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  let config;
  let keys;
  let ocppSection;
  try {
    config = loadSiteConfig(values.config);
    ocppSection = loadOcppSection(values.config);
    if (!config.keys)
      throw new ChargemeshError(
        "missing_keys",
        `${values.config} has no "keys" section: add {"keys": {"siteKeysFile": "<file>"}} and create the file with\n  ${SITE_KEYS_COMMAND(config.siteId, "<file>")}`,
      );
    keys = loadSiteKeys(config.keys.siteKeysFile, config.siteId);
  } catch (e) {
    console.error((e as Error).message);
    return e instanceof ChargemeshError ? exitCodeOf[e.code] : 2;
  }
  const log = pino({ name: "edge-node", base: { site: config.siteId } });
  exitOnUnexpectedErrors(log);
  const configDocument = new SiteConfigDocument(
    (issues) =>
      log.error({ issues }, "config document refused: invalid; working from the last valid version"),
    (version) => log.info({ version }, "config document version in force"),
  );
  const ocpp = ocppSection
    ? await startDaemonOcpp(ocppSection, config, {
        clock: systemClock,
        log,
        configDocument,
        revocationKey: keys.revocationPublicKey,
      })
    : null;
  for (const s of config.stalls.filter((st) => !ocpp?.site.hardwareFor(st.id)))
    log.warn(
      { stall: s.id, stage: s.stage.kind, vehicleLink: s.vehicleLink.kind, meter: s.meter.kind },
      "stall runs a simulated power stage and vehicle link (no EVSE driver configured)",
    );
  const clock = systemClock;
  const stalls = config.stalls.map(
    (s) => new SimStall({ meterId: s.meterId, maxW: s.maxW, minW: s.minW, reactionDelayMs: 500 }, clock),
  );
  const hardware = config.stalls.map((s, i) => {
    const charger = ocpp?.site.hardwareFor(s.id);
    return charger
      ? { config: s, ...charger }
      : {
          config: s,
          meter:
            s.meter.kind === "sdm630"
              ? new Sdm630Meter(
                  s.meterId,
                  { path: s.meter.path, unitId: s.meter.unitId, baudRate: s.meter.baudRate, timeoutMs: 500 },
                  clock,
                )
              : stalls[i]!.meter,
          stage: stalls[i]!.stage,
          link: stalls[i]!.link,
        };
  });
  let power!: PowerManager;
  const ocmfKeys = ocmfPayloadKeys(ocppSection, config);
  let controllerRef: SiteController | null = null;
  const trust = new ConfigDocTrustStore(
    configDocument,
    keys.revocationPublicKey,
    () => controllerRef?.lastCloudContactMs() ?? 0,
    (c) => controllerRef?.orchestrator.sessionsToday(c) ?? 0,
  );
  const sync = config.sync;
  const node = sync
    ? await createSyncNode({
        privateKey: await loadOrCreatePrivateKey(sync.identityFile ?? join(config.dataDir, "peer-key")),
      })
    : null;
  const site = await runSiteRealTime({
    config,
    clock,
    random: cryptoRandom,
    hardware,
    authorizer: new CertificateAuthorizer(trust, offlinePolicyOf(config)),
    configDocument,
    secureElement: new SimSecureElement(
      config.keys.secureElementFile ?? join(config.dataDir, "secure-element.json"),
    ),
    power: (hw) =>
      (power = new PowerManager({
        clock,
        scheduler: realScheduler,
        limits: { id: "site", limitW: config.gridLimitW },
        stalls: hw.map((h) => ({
          stallId: h.config.id,
          nodeId: "site",
          stage: h.stage,
          safeLimitW: h.config.safeLimitW,
          acceptanceW: () => h.link.acceptance()?.maxPowerW ?? null,
        })),
        log,
      })),
    certifyMeter: localOperatorCertifier(
      keys.meterOperatorKeyId,
      keys.meterOperatorSeed,
      nodeEd25519,
      clock,
      (m) => ocmfKeys.get(m) ?? null,
    ),
    log,
    api: config.api,
    ...(ocpp ? { apiExtras: { ocppChargers: () => ocpp.site.chargers(), chargers: ocpp.site.remote } } : {}),
    currentPlan: () => power.currentPlan(),
    beforeTick: () => {
      for (const s of stalls) s.advanceTo(clock.now());
    },
    ...(sync && node ? { sync: { node, dial: sync.cloudPeers, liveIntervalMs: sync.liveIntervalMs } } : {}),
  });
  controllerRef = site.controller;
  ocpp?.site.bindOrchestrator(site.controller.orchestrator, site.controller.metrics.registry);
  if (values["lab-vehicles-stdin"]) {
    log.warn("lab mode: simulated vehicles are plugged from standard input");
    driveLabVehicles(process.stdin, new Map(config.stalls.map((s, i) => [s.id as string, stalls[i]!])), log);
  }
  void power.start();
  // The config document arrives once the cloud admits the site; the site serves meanwhile.
  if (sync?.configUrl) void site.controller.attachConfig(sync.configUrl);
  // What the registry needs to admit this site: its peer ID and its root document.
  const identity = node
    ? { peerId: node.peerId.toString(), rootUrl: site.controller.site.root.url, cloudPeers: sync?.cloudPeers }
    : {};
  log.info({ api: site.api?.url, stalls: config.stalls.length, ...identity }, "edge-node running");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await power.close();
  await ocpp?.stop();
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
