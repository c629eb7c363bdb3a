/**
 * The cloud peer as its own process under the network supervisor (started with `fork` and
 * `--import tsx`; argument: one JSON CloudProcessArgs). Its libp2p identity persists in its data
 * directory and it listens on the ports it is given, so a restarted cloud is the same peer at the
 * same address. It admits the sites the supervisor registers (its registry lives in memory: the
 * supervisor registers them again after a restart), answers with each site's config document URL,
 * and pushes its sync state every second. It bills every completed session (embedded billing: SQLite
 * financial ledger in its data directory, the demo OCPI tariff, payments to the payment SIMULATOR) to
 * demo accounts it opens for the contracts the sites report, and pushes the ledger's totals every
 * two seconds. It exits when told to stop or when the supervisor goes away.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { contractId, cryptoRandom, systemClock } from "@chargemesh/shared-model";
import type { ConfigDocument, ContractId } from "@chargemesh/shared-model";
import {
  CloudPeer,
  DriverAccounts,
  addDemoAccounts,
  startCloudApi,
  startEmbeddedBilling,
} from "@chargemesh/cloud-peer";
import type { CloudApi, EmbeddedBilling } from "@chargemesh/cloud-peer";
import { loadOrCreatePrivateKey } from "@chargemesh/edge-node";
import type { CloudMessage, CloudProcessArgs, SiteTrust, ToCloud } from "./childMessages.js";
import { simSiteConfigUpdate } from "./simSiteConfig.js";
import { childLogger } from "./childLogger.js";
import { DEMO_CONFIG_TARIFF, DEMO_TARIFF_FILE, DEMO_TIME_ZONE, loadDemoTariffs } from "./demoTariff.js";
import { DECLINING_DRIVER_PASSWORD_FILE, planDemoDrivers } from "./demoDrivers.js";
import { ParentChannel } from "./parentChannel.js";
import { readSecret } from "./secretFile.js";

const args = JSON.parse(process.argv[2] ?? "null") as CloudProcessArgs;
const log = childLogger({ role: "cloud" }, args.logFile);
exitOnUnexpectedErrors(log);

let peer: CloudPeer | null = null;
let api: CloudApi | null = null;
let billing: EmbeddedBilling | null = null;
const channel = new ParentChannel<ToCloud, CloudMessage>(async (why) => {
  log.info({ why }, "stopping");
  await api?.close();
  await billing?.stop();
  await peer?.stop();
});

peer = await CloudPeer.start({
  dataDir: args.dataDir,
  privateKey: await loadOrCreatePrivateKey(join(args.dataDir, "libp2p-key")),
  listen: [`/ip4/127.0.0.1/tcp/${args.libp2pPort}`],
  clock: systemClock,
  onRefused: (p, why) => log.warn({ peer: p, why }, "peer refused"),
});
const cloud = peer;
const bill = startEmbeddedBilling({
  peer: cloud,
  dataDir: args.dataDir,
  clock: systemClock,
  random: cryptoRandom,
  tariffs: loadDemoTariffs(),
  timeZone: DEMO_TIME_ZONE,
  accounts: [],
  log,
  everyMs: 5_000,
});
billing = bill;
const accounts = new DriverAccounts();
api = await startCloudApi(cloud, "127.0.0.1", args.httpPort, {
  operatorToken: readSecret(args.operatorTokenFile),
  accounts,
  billing: bill.view,
  metrics: [bill.metrics.registry],
  ...(args.driverAppDir ? { driverAppDir: args.driverAppDir } : {}),
  log,
});

const demoPassword = readSecret(args.demoPasswordFile);
// The supervisor draws the first declining driver's password (0600) beside the demo driver's.
const decliningPassword =
  args.decliningDrivers > 0 ? readSecret(join(args.dataDir, DECLINING_DRIVER_PASSWORD_FILE)) : null;
/** Puts accounts on file for contracts nobody holds yet: the demo driver first, then one account each. */
function openAccounts(contracts: readonly string[]): void {
  const fresh: ContractId[] = contracts
    .filter((c) => !accounts.accountOfContract(c))
    .map((c) => contractId(c));
  if (fresh.length === 0) return;
  const demoOpen = accounts.get("acct-demo") !== null;
  const plan = planDemoDrivers(
    fresh,
    demoOpen ? null : demoPassword,
    accounts.list().length + 1,
    demoOpen ? 0 : args.decliningDrivers,
    decliningPassword,
  );
  addDemoAccounts(accounts, plan.specs, (n) => new Uint8Array(randomBytes(n)));
  bill.addAccounts(plan.onFile);
  log.info({ contracts: fresh.length, accounts: plan.specs.length }, "demo accounts on file");
}

/** The demo tariff's text, published as is so its decimal prices stay exact. */
const DEMO_TARIFF_JSON = readFileSync(DEMO_TARIFF_FILE, "utf8");
/** Each registered site's peer ID and root document, as registered with the cloud peer. */
const registered = new Map<string, string>();
/** Each registered site's provisioned trust, as it last reported it. */
const trustBySite = new Map<string, SiteTrust>();
/** Brings a site's config document up to its trust, the demo tariff and the contracts on file (when it lacks any). */
function publishSiteConfig(siteId: string, trust: SiteTrust): void {
  const held = cloud.currentDoc(cloud.configs.urlOf(siteId)) as ConfigDocument | null;
  const contracts = accounts.list().flatMap((a) => a.contracts.map((c) => c.contractId));
  const update = simSiteConfigUpdate(held, {
    trust,
    tariffs: [DEMO_CONFIG_TARIFF],
    ocpiTariffs: { tariffsJson: DEMO_TARIFF_JSON, timeZone: DEMO_TIME_ZONE },
    contracts,
  });
  if (!update) return;
  cloud.configs.publish(siteId, update);
  log.info({ site: siteId, anchors: trust.anchors.length }, "config document published for the site");
}

channel.onMessage((m) => {
  if (m.type !== "register") return;
  // A site registers again when it restarted with a new PKI: only a new identity is registered anew.
  const identity = `${m.peerId} ${m.rootUrl}`;
  if (registered.get(m.siteId) !== identity) cloud.registerSite(m.siteId, m.peerId, m.rootUrl);
  registered.set(m.siteId, identity);
  openAccounts(m.contracts);
  trustBySite.set(m.siteId, m.trust);
  for (const [siteId, trust] of trustBySite) publishSiteConfig(siteId, trust);
  log.info({ site: m.siteId, peerId: m.peerId, rootUrl: m.rootUrl }, "site registered");
  channel.send({ type: "registered", siteId: m.siteId, configUrl: cloud.configs.urlOf(m.siteId) });
});

setInterval(() => {
  bill.totals().then(
    (t) =>
      channel.send({
        type: "billing",
        figures: {
          invoices: t.invoices,
          sessionsPaid: t.sessionsPaid,
          capturedMinor: t.capturedMinor.toString(),
          currency: "EUR",
          paymentsDeclined: t.paymentsDeclined,
          paymentSimulator: true,
        },
      }),
    (e: unknown) => log.warn({ err: String(e) }, "billing totals not read"),
  );
}, 2_000).unref();

setInterval(() => {
  const sites = cloud.syncState().map((s) => ({
    siteId: s.siteId,
    connected: s.connected,
    documentsBehind: s.documentsBehind,
    lastContactMs: s.lastContactMs,
  }));
  channel.send({ type: "sync", sites });
}, 1_000).unref();

const multiaddr = cloud.node.getMultiaddrs()[0]!.toString();
channel.send({
  type: "ready",
  peerId: cloud.node.peerId.toString(),
  multiaddr,
  apiUrl: api.url,
  operatorToken: api.operatorToken,
  driverApp: args.driverAppDir !== null,
});
log.info({ api: api.url, multiaddr }, "cloud peer ready");
