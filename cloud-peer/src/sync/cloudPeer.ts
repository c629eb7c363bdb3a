import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import { join } from "node:path";
import { Repo } from "@automerge/automerge-repo";
import type { AutomergeUrl, DocHandle, PeerId } from "@automerge/automerge-repo";
import type { Libp2p } from "libp2p";
import type { PrivateKey } from "@libp2p/interface";
import { SqliteStorageAdapter } from "@chargemesh/automerge-storage-sqlite";
import {
  CLOUD_CONNECTION_LIMITS,
  Libp2pNetworkAdapter,
  PeerRegistry,
  createSyncNode,
  registeredPeersGater,
} from "@chargemesh/automerge-network-libp2p";
import type { ConnectionLimits } from "@chargemesh/automerge-network-libp2p";
import type { Clock } from "@chargemesh/shared-model";
import type { ConfigDocument, SiteRoot } from "@chargemesh/shared-model";
import { LiveTelemetryGateway } from "../gateway/liveTelemetryGateway.js";
import { dropEphemeralRelays } from "../gateway/noEphemeralRelay.js";
import { ownerView, writeAs } from "@chargemesh/shared-model";
import type {
  DocumentOwner,
  ForeignChange,
  Writer,
} from "@chargemesh/shared-model";
import { cloudWriteGuard } from "./cloudWriteGuard.js";
import type { WriteGuard } from "@chargemesh/shared-model";
import type { Registry } from "prom-client";
import { SiteDocumentIndex } from "./siteDocumentIndex.js";
import { SiteConfigUrls } from "./siteConfigUrls.js";
import { closedDays, dayDocuments } from "@chargemesh/shared-model";
import { indexedDocuments } from "@chargemesh/shared-model";

const TERMINAL = new Set(["completed", "rejected", "failed"]);

export interface SiteSyncState {
  readonly siteId: string;
  readonly peerId: string;
  readonly connected: boolean;
  readonly lastContactMs: number | null;
  /** Documents the site's root indexes that this peer does not hold yet. */
  readonly documentsBehind: number;
}

export interface CloudPeerOptions {
  readonly dataDir: string;
  readonly privateKey: PrivateKey;
  readonly listen: readonly string[];
  readonly clock: Clock;
  /** Other cloud peers (other regions) to dial. */
  readonly peers?: readonly string[];
  readonly onRefused?: (peerId: string, why: string) => void;
  /** How often the peer acknowledges its sites' closed days, ms (default 30 s; 0: only when called). */
  readonly acknowledgeEveryMs?: number;
  /** libp2p connection limits over `CLOUD_CONNECTION_LIMITS` (10,000 connections, 1,000 new per second per host). */
  readonly connectionLimits?: ConnectionLimits;
}

/**
 * A cloud peer: holds every document of the sites registered with it (automerge-repo on SQLite,
 * synced over libp2p), admits only registered peers, and reports each site's sync state. It never
 * writes a site's documents; what it derives from them (billing) lives in its own documents.
 */
export class CloudPeer {
  private readonly sites = new Map<
    string,
    { peerId: string; rootUrl: AutomergeUrl; lastContactMs: number | null }
  >();
  private readonly configs = new Map<string, DocHandle<ConfigDocument>>();
  /** The site each config document is addressed to, by document ID. */
  private readonly configSites = new Map<string, string>();
  private configUrls!: SiteConfigUrls;
  private ackTimer: ReturnType<typeof setInterval> | null = null;
  /** Live telemetry the registered sites broadcast on their root documents. */
  readonly live: LiveTelemetryGateway;
  private readonly index: SiteDocumentIndex;
  /** This peer's identity as a writer (of config and billing documents). */
  private readonly writer: Writer;

  private constructor(
    readonly registry: PeerRegistry,
    readonly node: Libp2p,
    readonly repo: Repo,
    private readonly storage: SqliteStorageAdapter,
    private readonly clock: Clock,
    /** Receiver-side check of who writes what; flags peers that send changes their writer may not make. */
    readonly writeGuard: WriteGuard,
    /** Prometheus metrics of the write guard. */
    readonly guardMetrics: Registry,
  ) {
    this.index = new SiteDocumentIndex(repo);
    this.writer = { side: "cloud", peerId: node.peerId.toString() };
    writeGuard.directory.register(this.writer);
    this.live = new LiveTelemetryGateway({ clock });
    this.live.listen(repo.networkSubsystem);
    dropEphemeralRelays(repo.networkSubsystem);
  }

  static async start(opts: CloudPeerOptions): Promise<CloudPeer> {
    mkdirSync(opts.dataDir, { recursive: true });
    const registry = new PeerRegistry();
    const node = await createSyncNode({
      privateKey: opts.privateKey,
      listen: opts.listen,
      connectionGater: registeredPeersGater(registry, (p) => opts.onRefused?.(p, "unregistered peer")),
      connectionLimits: { ...CLOUD_CONNECTION_LIMITS, ...opts.connectionLimits },
    });
    const storage = new SqliteStorageAdapter(join(opts.dataDir, "cloud.sqlite"));
    let peer: CloudPeer | null = null;
    const { guard, registry: guardMetrics, inboundFilter } = cloudWriteGuard({
      clock: opts.clock,
      ownerOf: (id) => peer?.documentOwner(id) ?? null,
      current: (id) => peer?.currentDoc(id) ?? null,
      peer: (p) => registry.lookup(p),
    });
    const network = new Libp2pNetworkAdapter({
      node,
      dial: opts.peers ?? [],
      inboundFilter,
      onViolation: (p, why) => opts.onRefused?.(p, why),
    });
    const repo = new Repo({
      storage,
      network: [network],
      peerId: node.peerId.toString() as PeerId,
      sharePolicy: async (p, doc) => peer?.mayShare(p, doc) ?? false,
    });
    peer = new CloudPeer(registry, node, repo, storage, opts.clock, guard, guardMetrics);
    peer.configUrls = new SiteConfigUrls(join(opts.dataDir, "site-configs.json"));
    for (const [siteId, url] of peer.configUrls.entries()) await peer.adoptSiteConfig(siteId, url).catch(() => undefined);
    const every = opts.acknowledgeEveryMs ?? 30_000;
    if (every > 0) {
      const p = peer;
      p.ackTimer = setInterval(() => void Promise.all([...p.sites.keys()].map((s) => p.acknowledge(s).catch(() => 0))), every);
      p.ackTimer.unref();
    }
    repo.networkSubsystem.on("peer", ({ peerId }) => peer.touch(peerId));
    repo.networkSubsystem.on("message", (m) => peer.touch(m.senderId));
    return peer;
  }

  /**
   * The share policy: other cloud peers hold everything; a site receives only the documents its own
   * root indexes and has not archived, and the config document addressed to it; unknown peers nothing.
   */
  mayShare(peerId: string, documentId?: string): boolean {
    const who = this.registry.lookup(peerId);
    if (!who) return false;
    if (who.role === "cloud") return true;
    if (documentId === undefined) return false;
    return this.ownerOf(documentId) === who.name && !this.index.isArchived(documentId);
  }

  /**
   * The URL of the config document addressed to `siteId`, created (version 0) on first use and
   * remembered in the data directory, so a restarted peer keeps writing the document the site holds.
   */
  siteConfigUrl(siteId: string): string {
    let handle = this.configs.get(siteId);
    if (!handle) {
      handle = this.repo.create<ConfigDocument>();
      writeAs(handle, this.writer, randomBytes);
      const initial: ConfigDocument = {
        schemaVersion: 1,
        version: 0,
        issuedAtMs: this.clock.now(),
        tariffs: [],
        trustAnchors: [],
        revocationList: null,
        accountStanding: {},
        offlinePolicy: { unknownContractMaxEnergyWh: 30_000, unknownContractMaxSessionsPerDay: 2 },
        siteLimits: {},
        acknowledged: {},
      };
      handle.change((d) => void Object.assign(d, initial));
      this.keepConfig(siteId, handle);
      this.configUrls.save(siteId, handle.url);
    }
    return handle.url;
  }

  /**
   * Acknowledges the site's closed days (archiveRules.closedDays, `keepDays` before today on this
   * peer's clock) that this peer holds, durably, at their present heads: writes the heads into the
   * site's config document, where the site reads them and archives. Drops the acknowledgements of
   * documents the site has archived. Returns how many documents it newly acknowledged; 0 while the
   * site's root is not here yet.
   */
  async acknowledge(siteId: string, keepDays = 1): Promise<number> {
    const site = this.sites.get(siteId);
    const root = site ? (this.repo.handles[site.rootUrl.replace("automerge:", "") as never] as DocHandle<SiteRoot> | undefined) : undefined;
    if (!root?.isReady()) return 0;
    const describe = (id: string, kind: "journal" | "segment") => {
      const doc = this.currentDoc(id);
      if (!doc) return { heads: [], settled: false };
      const sessions = kind === "journal" ? Object.values((doc as { sessions?: Record<string, { state: string }> }).sessions ?? {}) : [];
      return { heads: [...A.getHeads(doc)].sort(), settled: sessions.every((x) => TERMINAL.has(x.state)) };
    };
    const rootDoc = root.doc();
    const today = new Date(this.clock.now()).toISOString().slice(0, 10);
    const config = this.configOf(siteId);
    const acked = config.doc().acknowledged ?? {};
    const fresh = closedDays(dayDocuments(rootDoc, describe), today, keepDays).filter((d) => d.heads.length > 0 && acked[d.documentId]?.join() !== d.heads.join());
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

  /**
   * Takes on the config document another region created for `siteId` (the registry hands its URL to
   * every region), so this peer shares it with the site, checks its writers as the cloud's, and writes
   * the same document. Rejects when the document cannot be found here or from peers.
   */
  async adoptSiteConfig(siteId: string, url: string): Promise<void> {
    const handle = await this.repo.find<ConfigDocument>(url as AutomergeUrl);
    writeAs(handle, this.writer, randomBytes);
    this.keepConfig(siteId, handle);
    if (!this.configUrls.entries().some(([s, u]) => s === siteId && u === url)) this.configUrls.save(siteId, url);
  }

  private keepConfig(siteId: string, handle: DocHandle<ConfigDocument>): void {
    this.configs.set(siteId, handle);
    this.configSites.set(handle.documentId, siteId);
  }

  /** The site's config document handle (created on first use). */
  private configOf(siteId: string): DocHandle<ConfigDocument> {
    this.siteConfigUrl(siteId);
    return this.configs.get(siteId)!;
  }

  /**
   * Writes the config document addressed to a site (trust anchors, revocation list, account standing,
   * offline policy, limits) and bumps its version; creates it on first use. Returns its URL, which the
   * site learns at provisioning. Only the cloud writes it; only that site (and other clouds) receive it.
   */
  publishConfig(siteId: string, update: (doc: ConfigDocument) => void): string {
    const handle = this.configOf(siteId);
    handle.change((d) => {
      update(d);
      d.version += 1;
      d.issuedAtMs = this.clock.now();
    });
    return handle.url;
  }

  /** The site whose root document indexes `documentId` (or whose config it is), if any. */
  ownerOf(documentId: string): string | null {
    const id = documentId.replace("automerge:", "");
    const configOf = this.configSites.get(id);
    if (configOf !== undefined) return configOf;
    return this.index.ownerOf(id);
  }

  /** This peer's present copy of a document, when it holds one. */
  currentDoc(documentId: string): A.Doc<unknown> | null {
    const h = this.repo.handles[documentId.replace("automerge:", "") as never] as
      DocHandle<unknown> | undefined;
    return h?.isReady() ? (h.doc() as A.Doc<unknown>) : null;
  }

  /** Who may write `documentId`: a registered site for its own documents, the cloud for the configs it wrote; null when unknown. */
  documentOwner(documentId: string): DocumentOwner | null {
    const id = documentId.replace("automerge:", "");
    if (this.configSites.has(id)) return { side: "cloud" };
    const siteId = this.index.ownerOf(id);
    return siteId === null ? null : { side: "site", siteId };
  }

  /** Registers a site: its libp2p peer ID and its root document URL (both from the registry). */
  registerSite(siteId: string, peerId: string, rootUrl: string): void {
    this.registry.register(peerId, "site", siteId);
    this.sites.set(siteId, { peerId, rootUrl: rootUrl as AutomergeUrl, lastContactMs: null });
    this.index.addSite(siteId, rootUrl);
    this.writeGuard.directory.register({ side: "site", siteId });
    this.live.watchSite(siteId, peerId, rootUrl);
  }

  /** Registers another cloud peer (another region). */
  registerCloudPeer(name: string, peerId: string): void {
    this.registry.register(peerId, "cloud", name);
    this.writeGuard.directory.register({ side: "cloud", peerId });
  }

  private touch(peerId: string): void {
    const who = this.registry.lookup(peerId);
    const site = who?.role === "site" ? this.sites.get(who.name) : undefined;
    if (site) site.lastContactMs = this.clock.now();
  }

  /** The site's root document and every document it indexes, as held here (fetched if missing). */
  async siteDocuments(
    siteId: string,
  ): Promise<{ root: DocHandle<SiteRoot>; documents: DocHandle<unknown>[] }> {
    const site = this.sites.get(siteId);
    if (!site) throw new Error(`unknown site ${siteId}`);
    const root = await this.repo.find<SiteRoot>(site.rootUrl);
    const urls = indexedDocuments(root.doc());
    const documents = await Promise.all(urls.map((u) => this.repo.find<unknown>(u as AutomergeUrl)));
    return { root, documents };
  }

  /**
   * The site's documents as the site wrote them (owner views): what any other writer put into them,
   * and what builds on it, is left out and listed. Every derived view of a site starts here.
   */
  async siteView(
    siteId: string,
  ): Promise<{ root: SiteRoot; documents: { url: string; doc: unknown; foreign: ForeignChange[] }[] }> {
    const { root, documents } = await this.siteDocuments(siteId);
    const owner: DocumentOwner = { side: "site", siteId };
    const view = (h: DocHandle<unknown>) => ({
      url: h.url,
      ...ownerView(h.doc() as A.Doc<unknown>, owner, this.writeGuard.directory),
    });
    const rootView = view(root as DocHandle<unknown>);
    return { root: rootView.doc as SiteRoot, documents: [rootView, ...documents.map(view)] };
  }

  /** Each registered site's connection, last contact and how many of its documents are not here yet. */
  syncState(): SiteSyncState[] {
    const connected = new Set<string>(this.repo.peers);
    return [...this.sites].map(([siteId, s]) => {
      const root = this.repo.handles[s.rootUrl.replace("automerge:", "") as never] as
        DocHandle<SiteRoot> | undefined;
      const indexed = root?.isReady() ? indexedDocuments(root.doc()) : [];
      const held = indexed.filter((u) =>
        (
          this.repo.handles[u.replace("automerge:", "") as never] as DocHandle<unknown> | undefined
        )?.isReady(),
      ).length;
      return {
        siteId,
        peerId: s.peerId,
        connected: connected.has(s.peerId),
        lastContactMs: s.lastContactMs,
        documentsBehind: root?.isReady() ? indexed.length - held : 1,
      };
    });
  }

  async stop(): Promise<void> {
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.repo.flush();
    await this.repo.shutdown();
    await this.node.stop();
    this.storage.close();
  }
}
