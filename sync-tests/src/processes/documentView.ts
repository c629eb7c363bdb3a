import * as A from "@automerge/automerge";
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo";
import { deriveSessionFacts } from "@chargemesh/shared-model";
import { readLedgerSegment } from "@chargemesh/shared-model";
import type { DayJournal, LedgerSegment, SiteRoot } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
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
 * Derives the site's facts from this repo's copies: each day journal's sessions (state, energy from the
 * signed begin/end records, equivocation) and each segment's record keys. Null when the root or any
 * document it indexes is not held here.
 */
export async function siteFactsOf(repo: Repo, rootUrl: string): Promise<SiteFacts | null> {
  const root = await held<SiteRoot>(repo, rootUrl);
  if (!root) return null;
  const ledgerKeys: Record<string, string[]> = {};
  const entries = [];
  for (const key of Object.keys(root.segments).sort()) {
    const seg = await held<LedgerSegment>(repo, root.segments[key]!);
    if (!seg) return null;
    const read = readLedgerSegment(seg);
    entries.push(read);
    ledgerKeys[key] = read.map((e) => e.key);
  }
  const decode = (b: Uint8Array) => {
    const r = decodeSignedRecord(b);
    return r.ok ? r.value.body : null;
  };
  const sessionsByDay: SiteFacts["sessionsByDay"] = {};
  for (const day of Object.keys(root.journals).sort()) {
    const journal = await held<DayJournal>(repo, root.journals[day]!);
    if (!journal) return null;
    sessionsByDay[day] = deriveSessionFacts(journal, entries, decode);
  }
  return { sessionsByDay, ledgerKeys };
}
