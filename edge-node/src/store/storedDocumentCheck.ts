import * as A from "@automerge/automerge";
import type { SqliteStorageAdapter } from "@chargemesh/automerge-storage-sqlite";

/** Why a quarantined chunk that was readable was set aside (so a restart can tell it from a damaged one). */
export const INTACT_CHUNK = "intact; set aside with its damaged document";

/** One stored chunk that does not parse: its storage key (joined by "/") and Automerge's error. */
export interface DamagedChunk {
  readonly key: string;
  readonly error: string;
}

export type StoredDocumentCheck =
  | { readonly ok: true; readonly doc: A.Doc<unknown> }
  | {
      readonly ok: false;
      /** The chunks that failed (empty when the document has no live chunks at all). */
      readonly damaged: readonly DamagedChunk[];
      /** One line naming what is wrong. */
      readonly reason: string;
      /** What the readable chunks still hold (null when none is readable). */
      readonly held: A.Doc<unknown> | null;
      /** True when an earlier start already quarantined this document's chunks. */
      readonly alreadyQuarantined: boolean;
    };

/**
 * Reads a document's chunks straight from the site's SQLite store, before automerge-repo sees them,
 * and parses each one: a flipped byte fails Automerge's chunk checksum. Returns the loaded document,
 * or which chunks are damaged and what the readable rest still holds. A document with no live chunks
 * whose chunks were quarantined earlier is reported again from the quarantine. Never throws on bad bytes.
 */
export async function checkStoredDocument(
  storage: SqliteStorageAdapter,
  documentId: string,
): Promise<StoredDocumentCheck> {
  const chunks = [
    ...(await storage.loadRange([documentId, "snapshot"])),
    ...(await storage.loadRange([documentId, "incremental"])),
  ].filter((c) => c.data !== undefined) as { key: string[]; data: Uint8Array }[];
  if (chunks.length === 0) {
    const set = storage.quarantined([documentId]);
    const intact = set.filter((c) => c.reason === INTACT_CHUNK).map((c) => c.data);
    const damaged = set.filter((c) => c.reason !== INTACT_CHUNK);
    return {
      ok: false,
      damaged: damaged.map((c) => ({ key: c.key.join("/"), error: c.reason })),
      reason:
        set.length > 0
          ? `quarantined earlier (${damaged.length} damaged chunk(s)): ${damaged[0]?.reason ?? "unknown"}`
          : "no stored chunks",
      held: loadAll(intact),
      alreadyQuarantined: set.length > 0,
    };
  }
  const damaged: DamagedChunk[] = [];
  const good: Uint8Array[] = [];
  for (const c of chunks) {
    try {
      A.loadIncremental(A.init(), c.data);
      good.push(c.data);
    } catch (e) {
      damaged.push({ key: c.key.join("/"), error: (e as Error).message });
    }
  }
  if (damaged.length === 0) {
    const doc = loadAll(good);
    if (doc) return { ok: true, doc };
    return {
      ok: false,
      damaged: chunks.map((c) => ({ key: c.key.join("/"), error: "chunks do not load together" })),
      reason: "its chunks parse one by one but not together",
      held: null,
      alreadyQuarantined: false,
    };
  }
  return {
    ok: false,
    damaged,
    reason: `chunk ${damaged[0]!.key}: ${damaged[0]!.error}`,
    held: loadAll(good),
    alreadyQuarantined: false,
  };
}

/** Sets a damaged document's chunks aside in the store's quarantine, each with why; returns how many. */
export async function quarantineDocument(
  storage: SqliteStorageAdapter,
  documentId: string,
  damaged: readonly DamagedChunk[],
  atMs: number,
): Promise<number> {
  const bad = new Map(damaged.map((d) => [d.key, d.error]));
  let moved = 0;
  for (const c of await storage.loadRange([documentId]))
    if (c.key[1] !== "sync-state")
      moved += storage.quarantine(c.key, bad.get(c.key.join("/")) ?? INTACT_CHUNK, atMs);
  return moved;
}

function loadAll(chunks: readonly Uint8Array[]): A.Doc<unknown> | null {
  if (chunks.length === 0) return null;
  try {
    let doc = A.init<unknown>();
    for (const c of chunks) doc = A.loadIncremental(doc, c);
    return doc;
  } catch {
    return null;
  }
}
