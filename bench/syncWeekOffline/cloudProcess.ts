/**
 * The cloud side of the week-offline bench, in its own process so its memory is its own: one real
 * CloudPeer (SQLite, libp2p on 127.0.0.1, the cloud's connection limits). Answers the parent's
 * requests: register the site, whether it is connected, how many of the site's documents it holds
 * with the given heads, and its memory after a GC.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as A from "@automerge/automerge";
import { interpretAsDocumentId } from "@automerge/automerge-repo";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { serveRequests } from "../syncCapacity/ipc.js";

export interface CloudMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Documents this peer has handles for (loaded in memory). */
  readonly documentsLoaded: number;
}

export interface HeadsMatch {
  /** Documents whose heads here equal the site's. */
  readonly identical: number;
  readonly total: number;
}

export type WeekCloudRequest =
  | { cmd: "address" }
  | { cmd: "register"; siteId: string; peerId: string; rootUrl: string }
  | { cmd: "connected" }
  | { cmd: "connectionsOpened" }
  | { cmd: "match"; heads: Record<string, string> }
  | { cmd: "memory" }
  | { cmd: "stop" };

const dir = mkdtempSync(join(tmpdir(), "cm-bench-week-cloud-"));
const cloud = await CloudPeer.start({
  dataDir: dir,
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip4/127.0.0.1/tcp/0"],
  clock: systemClock,
});

// Connections the site opened to this peer (a second one during the reconnect means the first was lost).
let connectionsOpened = 0;
cloud.node.addEventListener("connection:open", () => void connectionsOpened++);

/** Heads of a document this peer already holds, without asking peers for it; null when absent or not ready. */
function headsHere(url: AutomergeUrl): string | null {
  const handle = cloud.repo.handles[interpretAsDocumentId(url)];
  if (!handle || !handle.isReady()) return null;
  return A.getHeads(handle.doc() as A.Doc<unknown>)
    .sort()
    .join();
}

serveRequests(async (req: WeekCloudRequest) => {
  switch (req.cmd) {
    case "address":
      return `${cloud.node.getMultiaddrs()[0]!.toString()}`;
    case "register":
      cloud.registerSite(req.siteId, req.peerId, req.rootUrl);
      return true;
    case "connected":
      return cloud.syncState().some((s) => s.connected);
    case "connectionsOpened":
      return connectionsOpened;
    case "match": {
      const urls = Object.keys(req.heads) as AutomergeUrl[];
      const identical = urls.filter((u) => headsHere(u) === req.heads[u]).length;
      const out: HeadsMatch = { identical, total: urls.length };
      return out;
    }
    case "memory": {
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      const out: CloudMemory = {
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
        documentsLoaded: Object.keys(cloud.repo.handles).length,
      };
      return out;
    }
    case "stop":
      await cloud.stop();
      rmSync(dir, { recursive: true, force: true });
      setImmediate(() => process.exit(0));
      return true;
  }
});
