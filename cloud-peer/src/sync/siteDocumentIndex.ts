import type { DocHandle, Repo } from "@automerge/automerge-repo";
import type { SiteRoot } from "@chargemesh/shared-model/documents/documentSchemas";

const bare = (urlOrId: string) => urlOrId.replace("automerge:", "");

/**
 * Which registered site a document belongs to: the site's root document and every document the root
 * indexes, live or archived. Lookups are map reads; a miss re-reads only the roots that changed since
 * they were last read.
 */
export class SiteDocumentIndex {
  private readonly owner = new Map<string, string>();
  private readonly archived = new Set<string>();
  private readonly roots = new Map<string, { rootId: string; readAt: string }>();

  constructor(private readonly repo: Repo) {}

  /** Adds a site by its root document URL; its indexed documents are read as the root arrives. */
  addSite(siteId: string, rootUrl: string): void {
    this.roots.set(siteId, { rootId: bare(rootUrl), readAt: "" });
    this.owner.set(bare(rootUrl), siteId);
  }

  /** The site that owns `documentId` (URL or bare ID), or null when no registered site's root names it. */
  ownerOf(documentId: string): string | null {
    const id = bare(documentId);
    const known = this.owner.get(id);
    if (known !== undefined) return known;
    this.refresh();
    return this.owner.get(id) ?? null;
  }

  /** True when the owning site has archived `documentId` (the cloud keeps it; the site no longer wants it). */
  isArchived(documentId: string): boolean {
    this.refresh();
    return this.archived.has(bare(documentId));
  }

  /** Re-reads the roots whose heads moved since they were last read. */
  private refresh(): void {
    for (const [siteId, r] of this.roots) {
      const root = this.repo.handles[r.rootId as never] as DocHandle<SiteRoot> | undefined;
      if (!root?.isReady()) continue;
      const heads = root.heads().join();
      if (heads === r.readAt) continue;
      r.readAt = heads;
      const d = root.doc();
      for (const u of [...Object.values(d.journals), ...Object.values(d.segments)])
        this.owner.set(bare(u), siteId);
      for (const u of Object.values(d.archived ?? {})) {
        this.owner.set(bare(u), siteId);
        this.archived.add(bare(u));
      }
    }
  }
}
