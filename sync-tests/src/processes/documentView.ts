import * as A from "@automerge/automerge";
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo";
import type { DerivedSession, SiteRoot } from "@chargemesh/shared-model";
import { readSiteLedger } from "@chargemesh/cloud-peer";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { HeadsByUrl, SiteFacts } from "./ipcProtocol.js";

const FIND_TIMEOUT_MS = 3_000;

/** The document held here, or null when it is not available within the timeout (never throws). */
async function held<T>(repo: Repo, url: string): Promise<A.Doc<T> | null> {
  try {
    const h = await repo.find<T>(url as AutomergeUrl, { signal: AbortSignal.timeout(FIND_TIMEOUT_MS) });
    return h.isReady() ? (h.doc() as A.Doc<T>) : null;
  } catch {
    return null;
  }
}

/** The root's URL, then its journals, then its segments, each sorted by index key: the site's document set. */
export function indexedUrls(rootUrl: string, root: Pick<SiteRoot, "journals" | "segments">): string[] {
  const sorted = (m: Record<string, string>) =>
    Object.keys(m)
      .sort()
      .map((k) => m[k]!);
  return [rootUrl, ...sorted(root.journals), ...sorted(root.segments)];
}

/** The site's document set as this repo holds its root; null when the root is not held. */
export async function documentsOf(repo: Repo, rootUrl: string): Promise<string[] | null> {
  const root = await held<SiteRoot>(repo, rootUrl);
  return root ? indexedUrls(rootUrl, root) : null;
}

/** Sorted heads of each URL as held in `repo` (null for a document not held). */
export async function headsOf(repo: Repo, urls: readonly string[]): Promise<HeadsByUrl> {
  const out: HeadsByUrl = {};
  for (const url of urls) {
    const doc = await held<unknown>(repo, url);
    out[url] = doc ? [...A.getHeads(doc)].sort() : null;
  }
  return out;
}

/**
 * The site's facts from this repo's copies, through the cloud's verified ledger view (the same
 * function billing reads): each day journal's sessions (state, energy proven by the signed records,
 * equivocation) and each segment's record keys. Null when the root or any document it indexes is not
 * held here.
 */
export async function siteFactsOf(repo: Repo, rootUrl: string): Promise<SiteFacts | null> {
  const ledger = await readSiteLedger(repo, rootUrl, { anchors: null, ed: nodeEd25519 });
  if (!ledger || ledger.unusable.length > 0) return null;
  const sessionsByDay: Record<string, DerivedSession[]> = {};
  for (const s of ledger.sessions)
    (sessionsByDay[s.day] ??= []).push({
      sessionId: s.sessionId,
      state: s.state,
      energyWh: s.energyWh,
      equivocation: s.equivocation,
    });
  return {
    sessionsByDay,
    ledgerKeys: Object.fromEntries(Object.entries(ledger.ledgerKeys).map(([k, v]) => [k, [...v]])),
  };
}
