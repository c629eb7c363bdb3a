import * as A from "@automerge/automerge";
import type { DocHandle, Repo } from "@automerge/automerge-repo";
import type { Clock, SiteRoot } from "@chargemesh/shared-model";
import { closedDays, dayDocuments } from "@chargemesh/shared-model";
import type { SiteConfigs } from "../config/siteConfigs.js";

/**
 * Acknowledges a site's closed days (shared-model archiveRules) that this peer holds durably, at their
 * present heads, in the site's config document; the site reads them there and archives. Drops the
 * acknowledgements of documents the site has archived.
 */
export class ClosedDayAcknowledger {
  constructor(
    private readonly repo: Repo,
    private readonly configs: SiteConfigs,
    private readonly clock: Clock,
    private readonly rootUrlOf: (siteId: string) => string | null,
    private readonly currentDoc: (documentId: string) => A.Doc<unknown> | null,
  ) {}

  /**
   * Acknowledges the closed days (`keepDays` before today on this peer's clock) of `siteId`; returns how
   * many documents it newly acknowledged, 0 while the site's root is not here yet. Flushes the documents
   * before acknowledging them and the config document after, so an acknowledgement is never ahead of the disk.
   */
  async acknowledge(siteId: string, keepDays = 1): Promise<number> {
    const rootUrl = this.rootUrlOf(siteId);
    const root = rootUrl
      ? (this.repo.handles[rootUrl.replace("automerge:", "") as never] as DocHandle<SiteRoot> | undefined)
      : undefined;
    if (!root?.isReady()) return 0;
    const rootDoc = root.doc();
    const today = new Date(this.clock.now()).toISOString().slice(0, 10);
    const config = this.configs.handleOf(siteId);
    const acked = config.doc().acknowledged ?? {};
    const fresh = closedDays(dayDocuments(rootDoc, this.currentDoc), today, keepDays).filter(
      (d) => d.heads.length > 0 && acked[d.documentId]?.join() !== d.heads.join(),
    );
    const archived = Object.values(rootDoc.archived ?? {}).map((u) => u.replace("automerge:", ""));
    if (fresh.length === 0 && !archived.some((id) => id in acked)) return 0;
    await this.repo.flush(fresh.map((d) => d.documentId as never));
    config.change((d) => {
      d.acknowledged ??= {};
      for (const f of fresh) d.acknowledged[f.documentId] = [...f.heads];
      for (const id of archived) delete d.acknowledged[id];
    });
    await this.repo.flush([config.documentId]);
    return fresh.length;
  }
}
