import type { ManagedChild } from "./managedChild.js";
import type { SiteFacts } from "./ipcProtocol.js";

export interface SitePeers {
  readonly siteId: string;
  readonly site: ManagedChild;
  readonly regions: readonly ManagedChild[];
}

/**
 * Compares one site's documents at the site and at every region: the same document set (the root's
 * index), and identical heads for every document. Returns the differences found (empty: converged);
 * rejects only when a child does not answer.
 */
export async function headDifferences(p: SitePeers): Promise<string[]> {
  const docs = await p.site.ask({ kind: "documents" });
  if (!docs) return [`${p.siteId}: the site does not hold its own root`];
  const here = await p.site.ask({ kind: "heads", urls: docs });
  const out: string[] = [];
  for (const r of p.regions) {
    const theirs = await r.ask({ kind: "documents", siteId: p.siteId });
    if (JSON.stringify(theirs) !== JSON.stringify(docs)) {
      out.push(`${p.siteId}@${r.name}: indexes ${theirs?.length ?? "no"} documents, the site ${docs.length}`);
      continue;
    }
    const heads = await r.ask({ kind: "heads", urls: docs });
    for (const url of docs)
      if (JSON.stringify(heads[url]) !== JSON.stringify(here[url]))
        out.push(`${p.siteId}@${r.name}: ${url} heads differ`);
  }
  return out;
}

/** The facts the site and each region derive from their own copies of the site's documents, by peer name. */
export async function derivedFactsEverywhere(p: SitePeers): Promise<Map<string, SiteFacts | null>> {
  const out = new Map<string, SiteFacts | null>([[p.site.name, await p.site.ask({ kind: "facts" })]]);
  for (const r of p.regions) out.set(r.name, await r.ask({ kind: "facts", siteId: p.siteId }));
  return out;
}
