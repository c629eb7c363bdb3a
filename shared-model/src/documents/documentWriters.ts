import * as A from "@automerge/automerge";
import { sha256 } from "@noble/hashes/sha2.js";

/**
 * Who wrote a change. Every document has one writing side (DESIGN.md): a site writes its root, day
 * journals and ledger segments; the cloud (any region) writes config and billing documents. Writers
 * are told apart by the first 8 bytes of their Automerge actor IDs (the writer tag); the rest of an
 * actor ID is random per process and document, so a restarted writer never reuses an (actor, seq)
 * it may have sent just before a crash.
 *
 * A tag is a claim, not a signature: what this module enforces is that no peer's change is ever
 * taken for the other side's, and that a writer who writes outside its documents is seen and
 * flagged. Authenticity of what matters for money stays with the per-meter signed ledger.
 */
export type Writer =
  { readonly side: "site"; readonly siteId: string } | { readonly side: "cloud"; readonly peerId: string };

/** Who may write a document. */
export type DocumentOwner = { readonly side: "site"; readonly siteId: string } | { readonly side: "cloud" };

const TAG_HEX = 16;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The 16 hex digits every actor ID of this writer starts with (a pure function of the writer). */
export function writerTag(w: Writer): string {
  const name = w.side === "site" ? `site:${w.siteId}` : `cloud:${w.peerId}`;
  return hex(sha256(new TextEncoder().encode(`chargemesh-writer/1:${name}`))).slice(0, TAG_HEX);
}

/** A fresh actor ID for this writer: its tag and 8 bytes from `randomBytes` (which must not repeat). */
export function writerActorId(w: Writer, randomBytes: (n: number) => Uint8Array): string {
  return writerTag(w) + hex(randomBytes(8));
}

/** True when `owner` allows `writer` to write its document. */
export function mayWrite(owner: DocumentOwner, writer: Writer): boolean {
  return owner.side === "site"
    ? writer.side === "site" && writer.siteId === owner.siteId
    : writer.side === "cloud";
}

/** The registered writers a peer knows, by tag (built from the registry, never from documents). */
export class WriterDirectory {
  private readonly byTag = new Map<string, Writer>();

  /** Adds a writer; registering the same writer again is a no-op. */
  register(w: Writer): void {
    this.byTag.set(writerTag(w), w);
  }

  /** The writer whose tag starts `actor`, or null for an unregistered one. */
  writerOf(actor: string): Writer | null {
    return this.byTag.get(actor.slice(0, TAG_HEX)) ?? null;
  }
}

/** A change that its document's owner did not write (or that builds on one). */
export interface ForeignChange {
  readonly hash: string;
  readonly actor: string;
  readonly seq: number;
  /** The registered writer behind the actor; null when no registered writer has that tag. */
  readonly writer: Writer | null;
  /** True when the change itself is allowed but depends on a foreign one. */
  readonly tainted: boolean;
}

/** One change's verdict: changes without operations write nothing and are never foreign. */
function isForeign(c: A.DecodedChange, allowed: (w: Writer) => boolean, directory: WriterDirectory): boolean {
  if (Array.isArray(c.ops) && c.ops.length === 0) return false;
  const w = directory.writerOf(c.actor);
  return w === null || !allowed(w);
}

/** Why an incoming sync message is not applied; `violation` is false when it merely could not be checked. */
export type SyncCheck =
  { ok: true } | { ok: false; reason: string; violation: boolean; foreign: ForeignChange[] };

/**
 * Checks the changes an incoming sync message carries against who may write its document.
 * `allowed` is the receiver's rule for that document; `current` is the receiver's copy of it (null
 * when it has none), which changes sent as a partial document chunk are read against. Never throws:
 * a message that does not decode is refused with a reason.
 */
export function checkSyncMessage(
  syncMessage: Uint8Array,
  allowed: (w: Writer) => boolean,
  directory: WriterDirectory,
  current: A.Doc<unknown> | null = null,
): SyncCheck {
  let entries: Uint8Array[];
  try {
    entries = A.decodeSyncMessage(syncMessage).changes;
  } catch (e) {
    return {
      ok: false,
      reason: `malformed sync message: ${(e as Error).message}`,
      violation: true,
      foreign: [],
    };
  }
  if (entries.length === 0) return { ok: true };
  const decoded = decodeEntries(entries, current);
  if (!decoded.ok) return { ok: false, reason: decoded.reason, violation: decoded.violation, foreign: [] };
  const foreign = decoded.changes
    .filter((c) => isForeign(c, allowed, directory))
    .map((c) => ({
      hash: c.hash,
      actor: c.actor,
      seq: c.seq,
      writer: directory.writerOf(c.actor),
      tainted: false,
    }));
  if (foreign.length === 0) return { ok: true };
  const who = foreign[0]!.writer;
  const name =
    who === null
      ? "an unregistered writer"
      : who.side === "site"
        ? `site ${who.siteId}`
        : `cloud peer ${who.peerId}`;
  return {
    ok: false,
    reason: `${foreign.length} change(s) by ${name}, who may not write this document`,
    violation: true,
    foreign,
  };
}

/**
 * The changes a sync message's entries carry. Entries are single changes or (what automerge 3 sends
 * for several) a document chunk holding just the missing changes, readable only on top of the
 * receiver's copy: so unless every entry is a plain change, they are applied to a scratch copy of
 * `current` and the new changes read back.
 */
function decodeEntries(
  entries: Uint8Array[],
  current: A.Doc<unknown> | null,
): { ok: true; changes: A.DecodedChange[] } | { ok: false; reason: string; violation: boolean } {
  try {
    return { ok: true, changes: entries.map((e) => A.decodeChange(e)) };
  } catch {
    /* not all plain changes */
  }
  const base = current ?? A.init<unknown>();
  let scratch: A.Doc<unknown>;
  try {
    scratch = A.clone(base);
    for (const e of entries) scratch = A.loadIncremental(scratch, e);
  } catch (e) {
    return { ok: false, reason: `malformed change: ${(e as Error).message}`, violation: true };
  }
  if (A.getMissingDeps(scratch, []).length > 0)
    return { ok: false, reason: "changes whose dependencies this peer does not hold yet", violation: false };
  return { ok: true, changes: A.getChangesSince(scratch, A.getHeads(base)).map((c) => A.decodeChange(c)) };
}

/**
 * The document as its owner wrote it: without foreign changes and without the changes that build on
 * them, and the list of what was left out. Returns `doc` itself when nothing is foreign, so the common
 * case costs one pass over the change headers. Every peer holding the same changes gets the same view.
 */
export function ownerView<T>(
  doc: A.Doc<T>,
  owner: DocumentOwner,
  directory: WriterDirectory,
): { doc: A.Doc<T>; foreign: ForeignChange[] } {
  const all = A.getAllChanges(doc).map((bytes) => ({ bytes, c: A.decodeChange(bytes) }));
  const excluded = new Map<string, boolean>(); // hash -> tainted (true) or foreign itself (false)
  for (const { c } of all)
    if (isForeign(c, (w) => mayWrite(owner, w), directory)) excluded.set(c.hash, false);
  if (excluded.size === 0) return { doc, foreign: [] };
  // Whatever builds on a foreign change is left out too, whatever order the changes come in.
  for (let grew = true; grew;) {
    grew = false;
    for (const { c } of all) {
      if (!excluded.has(c.hash) && c.deps.some((d) => excluded.has(d))) {
        excluded.set(c.hash, true);
        grew = true;
      }
    }
  }
  const foreign = all
    .filter(({ c }) => excluded.has(c.hash))
    .map(({ c }) => ({
      hash: c.hash,
      actor: c.actor,
      seq: c.seq,
      writer: directory.writerOf(c.actor),
      tainted: excluded.get(c.hash)!,
    }));
  const [view] = A.applyChanges(
    A.init<T>(),
    all.filter(({ c }) => !excluded.has(c.hash)).map(({ bytes }) => bytes),
  );
  return { doc: view, foreign };
}

/**
 * Makes `handle`'s document write as `writer` from now on: when its actor ID does not carry the
 * writer's tag, the document is swapped for a clone with a fresh writer actor (same heads, nothing
 * written). Cheap when the actor is already the writer's.
 */
export function writeAs<T>(
  handle: { doc(): A.Doc<T>; update(fn: (d: A.Doc<T>) => A.Doc<T>): void },
  writer: Writer,
  randomBytes: (n: number) => Uint8Array,
): void {
  if (A.getActorId(handle.doc()).startsWith(writerTag(writer))) return;
  handle.update((d) => A.clone(d, { actor: writerActorId(writer, randomBytes) }));
}
