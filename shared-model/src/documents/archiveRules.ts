/**
 * Which of a site's day documents leave its live set. A site keeps its live documents in the tens
 * (DESIGN.md): a day's journal and ledger segments are archived once the day is closed and a cloud
 * peer has acknowledged holding them, durably, at exactly the heads the site has. Both sides apply
 * these rules: the cloud to decide what to acknowledge, the site to decide what to archive.
 */

import * as A from "@automerge/automerge";
import { isTerminalSiteState } from "./sessionStates.js";

/** One of the site's indexed day documents. */
export interface DayDocument {
  /** Its key in the site root: `journals/<day>` or `segments/<meterId>/<day>`. */
  readonly key: string;
  readonly documentId: string;
  readonly day: string;
  /** The meter of a ledger segment; null for a journal. */
  readonly meterId: string | null;
  /** Its present heads, sorted. */
  readonly heads: readonly string[];
  /** For a journal: every session in it has reached a terminal state. Segments: true. */
  readonly settled: boolean;
}

/**
 * The site root's index as day documents, described from the caller's present copies (`currentDoc`
 * returns null for a document not held: no heads, not settled). A journal is settled when every
 * session in it is terminal; a segment always is.
 */
export function dayDocuments(
  root: { journals: Record<string, string>; segments: Record<string, string> },
  currentDoc: (documentId: string) => A.Doc<unknown> | null,
): DayDocument[] {
  const describe = (id: string, kind: "journal" | "segment") => {
    const doc = currentDoc(id);
    if (!doc) return { heads: [], settled: false };
    const sessions = Object.values((doc as { sessions?: Record<string, { state: string }> }).sessions ?? {});
    return {
      heads: [...A.getHeads(doc)].sort(),
      settled: kind === "segment" || sessions.every((x) => isTerminalSiteState(x.state)),
    };
  };
  const bare = (u: string) => u.replace("automerge:", "");
  const journals = Object.entries(root.journals).map(([day, url]) => ({
    key: `journals/${day}`,
    documentId: bare(url),
    day,
    meterId: null,
    ...describe(bare(url), "journal"),
  }));
  const segments = Object.entries(root.segments).map(([k, url]) => {
    const cut = k.lastIndexOf("/");
    return {
      key: `segments/${k}`,
      documentId: bare(url),
      day: k.slice(cut + 1),
      meterId: k.slice(0, cut),
      ...describe(bare(url), "segment"),
    };
  });
  return [...journals, ...segments];
}

/**
 * The documents whose day is closed: older than `keepDays` days before `today` (UTC `YYYY-MM-DD`),
 * settled, and (for segments) not the newest segment of their meter, which the ledger's hash chain
 * continues from. Pure; the result is in input order.
 */
export function closedDays(docs: readonly DayDocument[], today: string, keepDays: number): DayDocument[] {
  const cutoff = new Date(Date.parse(`${today}T00:00:00Z`) - keepDays * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const newest = new Map<string, string>();
  for (const d of docs)
    if (d.meterId !== null && (newest.get(d.meterId) ?? "") < d.day) newest.set(d.meterId, d.day);
  return docs.filter(
    (d) => d.day < cutoff && d.settled && (d.meterId === null || newest.get(d.meterId) !== d.day),
  );
}

/** The closed documents a cloud peer acknowledged at exactly their present heads: the site may archive these. */
export function archivable(
  docs: readonly DayDocument[],
  acknowledged: Readonly<Record<string, readonly string[]>>,
  today: string,
  keepDays: number,
): DayDocument[] {
  return closedDays(docs, today, keepDays).filter((d) => {
    const ack = acknowledged[d.documentId];
    return (
      ack !== undefined && ack.length === d.heads.length && [...ack].sort().every((h, i) => h === d.heads[i])
    );
  });
}
