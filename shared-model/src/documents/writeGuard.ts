import type * as A from "@automerge/automerge";
import type { Clock } from "../clock.js";
import { WriterDirectory, checkSyncMessage } from "./documentWriters.js";
import type { Writer } from "./documentWriters.js";

/** A peer that sent a change its writer may not make. */
export interface FlaggedPeer {
  readonly peerId: string;
  readonly violations: number;
  readonly lastDocumentId: string;
  readonly lastReason: string;
  readonly lastAtMs: number;
}

/** Who may write `documentId`, as the receiver knows it, for a message delivered by `remote`. */
export type WriteRule = (documentId: string, remote: string) => (w: Writer) => boolean;

/**
 * A receiver's check of who writes what: every change an incoming sync message carries must come
 * from a registered writer that `rule` allows for its document. `check` is a network adapter's
 * inbound filter: it returns why a message is dropped (and flags the peer that delivered it), or null.
 */
export class WriteGuard {
  readonly directory = new WriterDirectory();
  private readonly flagged = new Map<string, FlaggedPeer>();
  /** Messages passed without a check (changes whose dependencies were not here yet). */
  unchecked = 0;

  constructor(
    private readonly rule: WriteRule,
    private readonly clock: Clock,
    /** The receiver's present copy of a document (null when it has none). */
    private readonly current: (documentId: string) => A.Doc<unknown> | null,
    private readonly onFlag?: (peer: FlaggedPeer) => void,
  ) {}

  /** A reason to drop `message` from the authenticated peer `remote`, or null to apply it. Never throws. */
  check = (message: { readonly type: string }, remote: string): string | null => {
    if (message.type !== "sync" && message.type !== "request") return null;
    const { documentId, data } = message as { documentId?: unknown; data?: unknown };
    if (typeof documentId !== "string" || !(data instanceof Uint8Array))
      return this.flag(remote, String(documentId), "sync message without a document ID or data");
    const verdict = checkSyncMessage(
      data,
      this.rule(documentId, remote),
      this.directory,
      this.current(documentId),
    );
    if (verdict.ok) return null;
    if (verdict.violation) return this.flag(remote, documentId, verdict.reason);
    // Changes that build on ones this peer does not hold yet cannot be read here; automerge holds them
    // until their dependencies arrive and never resends them on this connection, so dropping them would
    // stall the sync. They pass; owner views still leave out whatever was not the owner's.
    this.unchecked++;
    return null;
  };

  /** The peers flagged so far, most violations first. */
  flaggedPeers(): FlaggedPeer[] {
    return [...this.flagged.values()].sort((a, b) => b.violations - a.violations);
  }

  /** Flags `remote` for a message about `documentId` refused for `reason`; returns the reason as reported. */
  flag(remote: string, documentId: string, reason: string): string {
    const peer = {
      peerId: remote,
      violations: (this.flagged.get(remote)?.violations ?? 0) + 1,
      lastDocumentId: documentId,
      lastReason: reason,
      lastAtMs: this.clock.now(),
    };
    this.flagged.set(remote, peer);
    this.onFlag?.(peer);
    return `document ${documentId}: ${reason}`;
  }
}
