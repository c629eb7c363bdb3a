/**
 * The cloud peer as its own process under the network supervisor (started with `fork` and
 * `--import tsx`; argument: one JSON CloudProcessArgs). Its libp2p identity persists in its data
 * directory and it listens on the ports it is given, so a restarted cloud is the same peer at the
 * same address. It admits the sites the supervisor registers (its registry lives in memory: the
 * supervisor registers them again after a restart), answers with each site's config document URL,
 * and pushes its sync state every second. It exits when told to stop or when the supervisor goes away.
 */
import { join } from "node:path";
import { exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { systemClock } from "@chargemesh/shared-model";
import { CloudPeer, startCloudApi } from "@chargemesh/cloud-peer";
import type { CloudApi } from "@chargemesh/cloud-peer";
import { loadOrCreatePrivateKey } from "@chargemesh/edge-node";
import type { CloudMessage, CloudProcessArgs, ToCloud } from "./childMessages.js";
import { childLogger } from "./childLogger.js";
import { ParentChannel } from "./parentChannel.js";
import { readSecret } from "./secretFile.js";

const args = JSON.parse(process.argv[2] ?? "null") as CloudProcessArgs;
const log = childLogger({ role: "cloud" }, args.logFile);
exitOnUnexpectedErrors(log);

let peer: CloudPeer | null = null;
let api: CloudApi | null = null;
const channel = new ParentChannel<ToCloud, CloudMessage>(async (why) => {
  log.info({ why }, "stopping");
  await api?.close();
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
api = await startCloudApi(cloud, "127.0.0.1", args.httpPort, {
  operatorToken: readSecret(args.operatorTokenFile),
  ...(args.driverAppDir ? { driverAppDir: args.driverAppDir } : {}),
  log,
});

channel.onMessage((m) => {
  if (m.type !== "register") return;
  cloud.registerSite(m.siteId, m.peerId, m.rootUrl);
  log.info({ site: m.siteId, peerId: m.peerId, rootUrl: m.rootUrl }, "site registered");
  channel.send({ type: "registered", siteId: m.siteId, configUrl: cloud.configs.urlOf(m.siteId) });
});

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
