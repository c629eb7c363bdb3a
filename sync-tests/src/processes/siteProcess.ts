/**
 * A simulated site as its own process (run with `child_process.fork` and `--import tsx`). Argument: one
 * JSON object (SiteProcessArgs). Keeps its libp2p key in its data directory; on a restart with the same
 * directory the site reopens its store, recovers and resumes its day. Runs its simulated day when the
 * parent sends `run`; answers heads, documents, facts and status queries over IPC. Logs (pino, warn
 * and above) go to stderr; nothing goes to stdout.
 */
import { join } from "node:path";
import pino from "pino";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SimulatedSite } from "@chargemesh/simulation";
import { loadOrCreatePrivateKey } from "@chargemesh/edge-node";
import { jsonArgument, serveParent, tellParent } from "./childIpc.js";
import { exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";
import { documentsOf, headsOf, siteFactsOf } from "./documentView.js";

export interface SiteProcessArgs {
  readonly siteId: string;
  readonly dataDir: string;
  readonly stalls: number;
  readonly vehicles: number;
  readonly seed: number;
  readonly startMs: number;
  readonly windowMs: number;
  /** The cloud regions to dial (multiaddrs with /p2p/<id>, here through the test's proxies). */
  readonly dial: readonly string[];
  /** Wall-clock pause per simulated minute, so partitions and kills happen during the day. */
  readonly paceMsPerSimMinute: number;
}

const args = jsonArgument<SiteProcessArgs>("SiteProcessArgs");
const log = pino(
  { level: "warn", base: { role: "site", siteId: args.siteId } },
  pino.destination({ dest: 2, sync: true }),
);
exitOnUnexpectedErrors(log, (e) => tellParent({ type: "tolerated", error: e.message }));

const node = await createSyncNode({
  privateKey: await loadOrCreatePrivateKey(join(args.dataDir, "libp2p-key")),
});
const site = await SimulatedSite.create({
  siteId: args.siteId,
  dataDir: args.dataDir,
  stalls: args.stalls,
  vehicles: args.vehicles,
  seed: args.seed,
  offline: false,
  startMs: args.startMs,
  windowMs: args.windowMs,
  log,
  sync: { node, dial: args.dial },
  onStep: async (now) => {
    if (now % 60_000 !== 0) return;
    if (now % 300_000 === 0) tellParent({ type: "progress", simulatedNowMs: now });
    if (args.paceMsPerSimMinute > 0) await new Promise((r) => setTimeout(r, args.paceMsPerSimMinute));
  },
});
const repo = site.controller.site.repo;
const rootUrl = site.controller.site.root.url;
let running = false;
let finished = false;
const completed = () => site.summary(0).sessions.completed;

serveParent({
  run: async () => {
    if (!running) {
      running = true;
      void site.run().then(() => {
        finished = true;
        tellParent({ type: "finished", completedSessions: completed() });
      });
    }
    return true;
  },
  status: async () => ({
    running,
    finished,
    simulatedNowMs: site.clock.now(),
    completedSessions: completed(),
  }),
  documents: async () => documentsOf(repo, rootUrl),
  heads: async (r) => headsOf(repo, r.urls),
  facts: async () => siteFactsOf(repo, rootUrl),
});
tellParent({ type: "ready", peerId: node.peerId.toString(), rootUrl, simulatedNowMs: site.clock.now() });
