import type { DocHandle, Repo } from "@automerge/automerge-repo";
import type { SiteRoot } from "@chargemesh/shared-model";
import { indexedDocuments } from "@chargemesh/shared-model";

const bare = (urlOrId: string) => urlOrId.replace("automerge:", "");

/**
 * Which registered site a document belongs to: the site's root document and every document the root
 * indexes, live or archived. Lookups are map reads. A root is read once when it first arrives and
 * again only after its heads change, so a lookup costs O(1) plus the roots that changed since the
 * last one (the share policy asks on every message, for every peer).
 */
export class SiteDocumentIndex {
  private readonly owner = new Map<string, string>();
  private readonly archived = new Set<string>();
  /** Roots not here yet, by site. */
  private readonly awaiting = new Map<string, string>();
  /** Sites whose root changed since it was last read. */
  private readonly dirty = new Set<string>();
  private readonly rootOf = new Map<string, string>();

  constructor(private readonly repo: Repo) {}

  /** Adds a site by its root document URL; its indexed documents are read as the root arrives. */
  addSite(siteId: string, rootUrl: string): void {
    this.awaiting.set(siteId, bare(rootUrl));
    this.rootOf.set(siteId, bare(rootUrl));
    this.owner.set(bare(rootUrl), siteId);
  }

  /** The site that owns `documentId` (URL or bare ID), or null when no registered site's root names it. */
  ownerOf(documentId: string): string | null {
    this.refresh();
    return this.owner.get(bare(documentId)) ?? null;
  }

  /** True when the owning site has archived `documentId` (the cloud keeps it; the site no longer wants it). */
  isArchived(documentId: string): boolean {
    this.refresh();
    return this.archived.has(bare(documentId));
  }

  /** Starts watching roots that arrived, then re-reads the roots that changed. */
  private refresh(): void {
    for (const [siteId, rootId] of this.awaiting) {
      const root = this.repo.handles[rootId as never] as DocHandle<SiteRoot> | undefined;
      if (!root?.isReady()) continue;
      this.awaiting.delete(siteId);
      root.on("heads-changed", () => this.dirty.add(siteId));
      this.dirty.add(siteId);
    }
    for (const siteId of this.dirty) {
      this.dirty.delete(siteId);
      const d = (this.repo.handles[this.rootOf.get(siteId) as never] as DocHandle<SiteRoot>).doc();
      for (const u of indexedDocuments(d)) this.owner.set(bare(u), siteId);
      for (const u of Object.values(d.archived ?? {})) {
        this.owner.set(bare(u), siteId);
        this.archived.add(bare(u));
      }
    }
  }
}
