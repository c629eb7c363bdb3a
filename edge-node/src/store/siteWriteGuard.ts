import type * as A from "@automerge/automerge";
import type { Clock } from "@chargemesh/shared-model";
import { mayWrite } from "@chargemesh/shared-model";
import type { Writer } from "@chargemesh/shared-model";
import { WriteGuard } from "@chargemesh/shared-model";
import type { FlaggedPeer } from "@chargemesh/shared-model";

export interface SiteWriteGuardOptions {
  readonly siteId: string;
  /** The cloud peers the site dials (multiaddrs ending in /p2p/<peer ID>): the only writers of its config. */
  readonly cloudPeers: readonly string[];
  readonly isOwnDocument: (documentId: string) => boolean;
  /** The site's present copy of a document (null when it has none). */
  readonly current: (documentId: string) => A.Doc<unknown> | null;
  readonly clock: Clock;
  readonly onFlag?: (p: FlaggedPeer) => void;
}

/**
 * The site's write guard: changes to the site's own documents must be the site's own (coming back
 * after a restore, say); changes to any other document (config, billing) must be a cloud peer's.
 */
export function siteWriteGuard(opts: SiteWriteGuardOptions): WriteGuard {
  const self: Writer = { side: "site", siteId: opts.siteId };
  const rule = (documentId: string) =>
    opts.isOwnDocument(documentId) ? (w: Writer) => mayWrite(self, w) : (w: Writer) => w.side === "cloud";
  const guard = new WriteGuard(rule, opts.clock, opts.current, opts.onFlag);
  guard.directory.register(self);
  for (const addr of opts.cloudPeers)
    guard.directory.register({ side: "cloud", peerId: addr.split("/p2p/").pop() ?? "" });
  return guard;
}
