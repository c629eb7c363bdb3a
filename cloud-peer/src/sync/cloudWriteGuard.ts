import type * as A from "@automerge/automerge";
import { Counter, Registry } from "prom-client";
import type { Clock } from "@chargemesh/shared-model";
import { mayWrite } from "@chargemesh/shared-model/documents/documentWriters";
import type { DocumentOwner, Writer } from "@chargemesh/shared-model/documents/documentWriters";
import { WriteGuard } from "@chargemesh/shared-model/documents/writeGuard";
import type { WriteRule } from "@chargemesh/shared-model/documents/writeGuard";

export interface CloudWriteGuardOptions {
  readonly clock: Clock;
  /** Who may write a document, as far as this peer knows (null: not known yet). */
  readonly ownerOf: (documentId: string) => DocumentOwner | null;
  /** This peer's present copy of a document (null when it has none). */
  readonly current: (documentId: string) => A.Doc<unknown> | null;
  /** The registry's view of an authenticated peer. */
  readonly peer: (peerId: string) => { role: "site" | "cloud"; name: string } | undefined;
}

/**
 * The cloud peer's write guard: a site may write only its own documents, the cloud only config and
 * billing documents, and a site delivers no other site's changes (whatever writer tag they carry).
 * A document not known here yet may come from a site only as that site's own; from another cloud
 * peer, as written by any registered writer (owner views sort it out once its owner is known).
 * Dropped messages are counted per peer in `registry`.
 */
export function cloudWriteGuard(opts: CloudWriteGuardOptions): { guard: WriteGuard; registry: Registry } {
  const registry = new Registry();
  const refused = new Counter({
    name: "chargemesh_cloud_write_violations_total",
    help: "Sync messages dropped for changes their writer may not make",
    labelNames: ["peer"],
    registers: [registry],
  });
  const rule: WriteRule = (documentId, remote) => {
    const owner = opts.ownerOf(documentId);
    const sender = opts.peer(remote);
    if (sender?.role !== "site") return owner ? (w) => mayWrite(owner, w) : () => true;
    const self: Writer = { side: "site", siteId: sender.name };
    if (owner === null) return (w) => mayWrite(self, w);
    // A site relays the cloud's changes (a config it got from another region), never another site's.
    if (owner.side === "cloud") return (w) => w.side === "cloud";
    return owner.siteId === sender.name ? (w) => mayWrite(self, w) : () => false;
  };
  return {
    guard: new WriteGuard(rule, opts.clock, opts.current, (p) => refused.inc({ peer: p.peerId })),
    registry,
  };
}
