import { mkdirSync } from "node:fs";
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
import type { SiteRoot } from "@chargemesh/shared-model";
import { LiveTelemetryGateway } from "../gateway/liveTelemetryGateway.js";
import { dropEphemeralRelays } from "../gateway/noEphemeralRelay.js";
import { ownerView } from "@chargemesh/shared-model";
import type { DocumentOwner, ForeignChange, Writer } from "@chargemesh/shared-model";
import { cloudWriteGuard } from "./cloudWriteGuard.js";
import type { WriteGuard } from "@chargemesh/shared-model";
import type { Registry } from "prom-client";
import { SiteDocumentIndex } from "./siteDocumentIndex.js";
import { indexedDocuments } from "@chargemesh/shared-model";
import type { Ed25519, TrustAnchors } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { SiteConfigs } from "../config/siteConfigs.js";
import { ClosedDayAcknowledger } from "../archival/closedDayAcknowledger.js";
import { SharePolicy } from "./sharePolicy.js";
import { DocumentRepairServer } from "./documentRepairServer.js";
import { readSiteLedger } from "../ledgerView/siteLedgerView.js";
import type { SiteLedger } from "../ledgerView/siteLedgerView.js";

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
  /** The operator's trust anchors the site ledger view verifies against; absent: each site's own keys (self-asserted). */
  readonly anchors?: TrustAnchors | null;
  /** Ed25519 for record verification (default node:crypto). */
  readonly ed?: Pick<Ed25519, "verify">;
}

/**
 * A cloud peer's wiring: holds every document of the sites registered with it (automerge-repo on
 * SQLite, synced over libp2p), admits only registered peers, and reports each site's sync state. Its
 * rooms do the rest: `configs` (the config documents it writes), `archival` (acknowledged closed
 * days), `sharing` (who receives and writes what), `ledger()` (a verified view of a site's ledger),
 * `live` (the telemetry gateway). It never writes a site's documents.
 */
export class CloudPeer {
  private readonly sites = new Map<
    string,
    { peerId: string; rootUrl: AutomergeUrl; lastContactMs: number | null }
  >();
  /** The config documents this peer writes, one per site. */
  readonly configs: SiteConfigs;
  /** Acknowledges the sites' closed days so they may archive them. */
  readonly archival: ClosedDayAcknowledger;
  /** Who receives and who may write each document. */
  readonly sharing: SharePolicy;
  private ackTimer: ReturnType<typeof setInterval> | null = null;
  /** Live telemetry the registered sites broadcast on their root documents. */
  readonly live: LiveTelemetryGateway;
  /** Serves a site its own documents back when its copy is damaged (explicit request, verified at the site). */
  readonly repair: DocumentRepairServer;
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
    dataDir: string,
    private readonly anchors: TrustAnchors | null,
    private readonly ed: Pick<Ed25519, "verify">,
  ) {
    this.index = new SiteDocumentIndex(repo);
    this.writer = { side: "cloud", peerId: node.peerId.toString() };
    writeGuard.directory.register(this.writer);
    this.configs = new SiteConfigs(repo, this.writer, clock, join(dataDir, "site-configs.json"));
    this.sharing = new SharePolicy(registry, this.index, this.configs);
    this.archival = new ClosedDayAcknowledger(
      repo,
      this.configs,
      clock,
      (s) => this.sites.get(s)?.rootUrl ?? null,
      (id) => this.currentDoc(id),
    );
    this.live = new LiveTelemetryGateway({ clock });
    this.live.listen(repo.networkSubsystem);
    this.repair = new DocumentRepairServer({
      repo,
      siteOf: (p) => {
        const who = registry.lookup(p);
        return who?.role === "site" ? who.name : null;
      },
      rootOf: (s) => this.sites.get(s)?.rootUrl ?? null,
      mayServe: (s, id) => this.sharing.mayServeBack(s, id),
      registry: guardMetrics,
    });
    this.repair.listen();
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
    const {
      guard,
      registry: guardMetrics,
      inboundFilter,
    } = cloudWriteGuard({
      clock: opts.clock,
      ownerOf: (id) => peer?.sharing.documentOwner(id) ?? null,
      current: (id) => peer?.currentDoc(id) ?? null,
      peer: (p) => registry.lookup(p),
    });
    const network = new Libp2pNetworkAdapter({
      node,
      dial: opts.peers ?? [],
      inboundFilter,
      // A peer that broke framing or the protocol (the adapter disconnects it) or sent a forbidden write: flagged and counted.
      onViolation: (p, why) => {
        if (!why.startsWith("document ")) guard.flag(p, "(protocol)", why);
        opts.onRefused?.(p, why);
      },
    });
    const repo = new Repo({
      storage,
      network: [network],
      peerId: node.peerId.toString() as PeerId,
      sharePolicy: async (p, doc) => peer?.sharing.mayShare(p, doc) ?? false,
    });
    peer = new CloudPeer(
      registry,
      node,
      repo,
      storage,
      opts.clock,
      guard,
      guardMetrics,
      opts.dataDir,
      opts.anchors ?? null,
      opts.ed ?? nodeEd25519,
    );
    await peer.configs.restore();
    const every = opts.acknowledgeEveryMs ?? 30_000;
    if (every > 0) {
      const p = peer;
      p.ackTimer = setInterval(
        () => void Promise.all([...p.sites.keys()].map((s) => p.archival.acknowledge(s).catch(() => 0))),
        every,
      );
      p.ackTimer.unref();
    }
    repo.networkSubsystem.on("peer", ({ peerId }) => peer.touch(peerId));
    repo.networkSubsystem.on("message", (m) => peer.touch(m.senderId));
    return peer;
  }

  /** This peer's present copy of a document, when it holds one. */
  currentDoc(documentId: string): A.Doc<unknown> | null {
    const h = this.repo.handles[documentId.replace("automerge:", "") as never] as
      DocHandle<unknown> | undefined;
    return h?.isReady() ? (h.doc() as A.Doc<unknown>) : null;
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

  /**
   * The site's ledger as this peer holds it, verified against the operator's trust anchors (owner
   * views only: what another writer put into the site's documents is left out). Null when the site is
   * unknown or its root is not here yet.
   */
  async ledger(siteId: string): Promise<SiteLedger | null> {
    const site = this.sites.get(siteId);
    if (!site) return null;
    const owner: DocumentOwner = { side: "site", siteId };
    return readSiteLedger(this.repo, site.rootUrl, {
      anchors: this.anchors,
      ed: this.ed,
      view: (_url, doc) => ownerView(doc, owner, this.writeGuard.directory).doc,
    });
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
