import type * as A from "@automerge/automerge";
import { Counter, Registry } from "prom-client";
import type { Clock } from "@chargemesh/shared-model";
import { mayWrite } from "@chargemesh/shared-model";
import type { DocumentOwner, Writer } from "@chargemesh/shared-model";
import { WriteGuard } from "@chargemesh/shared-model";
import type { WriteRule } from "@chargemesh/shared-model";

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
 * A document not known here yet may come from a site as its own or as relayed cloud changes; from another cloud
 * peer, as written by any registered writer (owner views sort it out once its owner is known).
 * Dropped messages are counted per peer in `registry`.
 */
export function cloudWriteGuard(opts: CloudWriteGuardOptions): {
  guard: WriteGuard;
  registry: Registry;
  /** The adapter's inbound filter: the write guard, and ephemeral messages only on a site's own documents. */
  inboundFilter: (message: { readonly type: string }, remote: string) => string | null;
} {
  const registry = new Registry();
  const refused = new Counter({
    name: "chargemesh_cloud_write_violations_total",
    help: "Peer messages refused: changes their writer may not make, protocol and framing violations",
    labelNames: ["peer"],
    registers: [registry],
  });
  const rule: WriteRule = (documentId, remote) => {
    const owner = opts.ownerOf(documentId);
    const sender = opts.peer(remote);
    if (sender?.role !== "site") return owner ? (w) => mayWrite(owner, w) : () => true;
    const self: Writer = { side: "site", siteId: sender.name };
    // A document not known here: the site's own, or a cloud-written one it relays (a config another region wrote).
    if (owner === null) return (w) => mayWrite(self, w) || w.side === "cloud";
    // A site relays the cloud's changes (a config it got from another region), never another site's.
    if (owner.side === "cloud") return (w) => w.side === "cloud";
    return owner.siteId === sender.name ? (w) => mayWrite(self, w) : () => false;
  };
  const guard = new WriteGuard(rule, opts.clock, opts.current, (p) => refused.inc({ peer: p.peerId }));
  // A site broadcasts live figures on its own root only: on another site's document they would reach
  // that site's link as a stranger's message.
  const inboundFilter = (message: { readonly type: string }, remote: string): string | null => {
    if (message.type !== "ephemeral") return guard.check(message, remote);
    const sender = opts.peer(remote);
    const { documentId } = message as { documentId?: unknown };
    if (sender?.role !== "site") return null;
    const owner = typeof documentId === "string" ? opts.ownerOf(documentId) : null;
    if (owner?.side === "site" && owner.siteId === sender.name) return null;
    return guard.flag(
      remote,
      String(documentId),
      `site ${sender.name} broadcast on a document that is not its own`,
    );
  };
  return { guard, registry, inboundFilter };
}
