import { randomBytes } from "node:crypto";
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo";
import type { Clock, ConfigDocument, SiteId, Writer } from "@chargemesh/shared-model";
import { writeAs } from "@chargemesh/shared-model";
import { SiteConfigUrls } from "./siteConfigUrls.js";

/** The config document a new site starts from (version 0): no anchors, no standing, the default offline policy. */
function initialConfig(nowMs: number): ConfigDocument {
  return {
    schemaVersion: 1,
    version: 0,
    issuedAtMs: nowMs,
    tariffs: [],
    trustAnchors: [],
    revocationList: null,
    accountStanding: {},
    offlinePolicy: { unknownContractMaxEnergyWh: 30_000, unknownContractMaxSessionsPerDay: 2 },
    siteLimits: {},
    acknowledged: {},
  };
}

/**
 * The config documents this cloud peer writes, one per site (trust anchors, revocation list, account
 * standing, offline policy, limits, acknowledgements). Only the cloud writes them; only their site (and
 * other clouds) receive them. Their URLs are kept in the data directory, so a restarted peer goes on
 * writing the documents its sites hold.
 */
export class SiteConfigs {
  private readonly bySite = new Map<string, DocHandle<ConfigDocument>>();
  /** The site each config document is addressed to, by document ID. */
  private readonly siteByDocument = new Map<string, string>();
  private readonly urls: SiteConfigUrls;

  constructor(
    private readonly repo: Repo,
    private readonly writer: Writer,
    private readonly clock: Clock,
    urlsFile: string,
  ) {
    this.urls = new SiteConfigUrls(urlsFile);
  }

  /** Takes back the config documents this peer wrote before a restart; a document it cannot find is skipped. */
  async restore(): Promise<void> {
    for (const [siteId, url] of this.urls.entries()) await this.adopt(siteId, url).catch(() => undefined);
  }

  /** The URL of the config document addressed to `siteId`, created (version 0) and remembered durably on first use. */
  urlOf(siteId: SiteId | string): string {
    return this.handleOf(siteId).url;
  }

  /** The site's config document handle (created on first use). */
  handleOf(siteId: SiteId | string): DocHandle<ConfigDocument> {
    let handle = this.bySite.get(siteId);
    if (!handle) {
      handle = this.repo.create<ConfigDocument>();
      writeAs(handle, this.writer, randomBytes);
      const initial = initialConfig(this.clock.now());
      handle.change((d) => void Object.assign(d, initial));
      this.keep(siteId, handle);
      this.urls.save(siteId, handle.url);
    }
    return handle;
  }

  /**
   * Writes the config document addressed to a site and bumps its version; creates it on first use.
   * Returns its URL, which the site learns at provisioning.
   */
  publish(siteId: SiteId | string, update: (doc: ConfigDocument) => void): string {
    const handle = this.handleOf(siteId);
    handle.change((d) => {
      update(d);
      d.version += 1;
      d.issuedAtMs = this.clock.now();
    });
    return handle.url;
  }

  /**
   * Takes on the config document another region created for `siteId` (the registry hands its URL to
   * every region), so this peer shares it with the site and writes the same document. Rejects when the
   * document cannot be found here or from peers.
   */
  async adopt(siteId: SiteId | string, url: string): Promise<void> {
    const handle = await this.repo.find<ConfigDocument>(url as AutomergeUrl);
    writeAs(handle, this.writer, randomBytes);
    this.keep(siteId, handle);
    if (!this.urls.entries().some(([s, u]) => s === siteId && u === url)) this.urls.save(siteId, url);
  }

  /** The site a config document is addressed to, by document ID; null when it is not a config document of ours. */
  siteOf(documentId: string): string | null {
    return this.siteByDocument.get(documentId.replace("automerge:", "")) ?? null;
  }

  private keep(siteId: string, handle: DocHandle<ConfigDocument>): void {
    this.bySite.set(siteId, handle);
    this.siteByDocument.set(handle.documentId, siteId);
  }
}
