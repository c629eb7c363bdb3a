import type { PeerRegistry } from "@chargemesh/automerge-network-libp2p";
import type { DocumentOwner } from "@chargemesh/shared-model";
import type { SiteConfigs } from "../config/siteConfigs.js";
import type { SiteDocumentIndex } from "./siteDocumentIndex.js";

/**
 * Who receives and who may write each document. Other cloud peers hold everything; a site receives only
 * the documents its own root indexes and has not archived, and the config document addressed to it;
 * unknown peers nothing. Lookups are map reads (it is asked on every message, for every peer).
 */
export class SharePolicy {
  constructor(
    private readonly registry: PeerRegistry,
    private readonly index: SiteDocumentIndex,
    private readonly configs: SiteConfigs,
  ) {}

  /** True when `peerId` may receive `documentId` (false for an unknown peer or no document). */
  mayShare(peerId: string, documentId?: string): boolean {
    const who = this.registry.lookup(peerId);
    if (!who) return false;
    if (who.role === "cloud") return true;
    if (documentId === undefined) return false;
    return this.ownerOf(documentId) === who.name && !this.index.isArchived(documentId);
  }

  /**
   * True when `siteId` may have `documentId` back on request (a damaged copy at the site): a document
   * the site itself writes and its root indexes, live or archived. Reading it back changes nothing the
   * write guard decides.
   */
  mayServeBack(siteId: string, documentId: string): boolean {
    const owner = this.documentOwner(documentId);
    return owner?.side === "site" && owner.siteId === siteId;
  }

  /** The site whose root document indexes `documentId` (or whose config it is), if any. */
  ownerOf(documentId: string): string | null {
    return this.configs.siteOf(documentId) ?? this.index.ownerOf(documentId);
  }

  /** Who may write `documentId`: a registered site for its own documents, the cloud for the configs it wrote; null when unknown. */
  documentOwner(documentId: string): DocumentOwner | null {
    if (this.configs.siteOf(documentId) !== null) return { side: "cloud" };
    const siteId = this.index.ownerOf(documentId);
    return siteId === null ? null : { side: "site", siteId };
  }
}
