import type { Logger } from "pino";
import type { Libp2p } from "libp2p";
import type { PeerId } from "@automerge/automerge-repo";
import { Libp2pNetworkAdapter } from "@chargemesh/automerge-network-libp2p";
import type { Clock, MeterId, RandomSource } from "@chargemesh/shared-model";
import { IDLE_RECORD_INTERVAL_MS, RecordStatus, maxRecordGapMsFor } from "@chargemesh/shared-model";
import type { SecureElement } from "@chargemesh/hal";
import type { Authorizer } from "./auth/authorizer.js";
import type { SiteConfig } from "./config/siteConfig.js";
import { LedgerWriter } from "./ledger/ledgerWriter.js";
import { IdleRecorder } from "./ledger/idleRecorder.js";
import { SessionOrchestrator } from "./session/sessionOrchestrator.js";
import type { PowerCoordinator, StallHardware } from "./session/sessionOrchestrator.js";
import { SiteRepo } from "./store/siteRepo.js";
import { siteWriteGuard } from "./store/siteWriteGuard.js";
import { SiteArchiver } from "./store/siteArchiver.js";
import { SiteConfigDocument } from "./config/siteConfigDocument.js";
import type { AutomergeUrl, Message, NetworkAdapterInterface } from "@automerge/automerge-repo";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { AutomergeLedgerStore } from "./store/automergeLedgerStore.js";
import { AutomergeSessionJournal } from "./store/automergeSessionJournal.js";
import { SiteMetrics } from "./observability/siteMetrics.js";
import { observedMeter, timedAuthorizer } from "./observability/observedParts.js";
import type { MeterCertifier } from "./audit/meterProvisioning.js";
import { sessionTokenBody, sessionTokenFrom, verifySessionToken } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { LiveTelemetryPublisher } from "./sync/liveTelemetryPublisher.js";
import { siteLiveFigures } from "./sync/siteLiveFigures.js";
import type { SessionId } from "@chargemesh/shared-model";
import { CloudLinkLog } from "./sync/cloudLinkLog.js";
import { StoreIntegrity } from "./store/storeIntegrity.js";
import type { DamagedDocument } from "./store/storeIntegrity.js";
import { DocumentRepairer } from "./store/documentRepairer.js";

export interface SiteControllerOptions {
  readonly config: SiteConfig;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hardware: readonly StallHardware[];
  readonly authorizer: Authorizer;
  /** Holds the meter signing keys of plain (non-Eichrecht) meters. */
  readonly secureElement: SecureElement;
  readonly power: (hardware: readonly StallHardware[]) => PowerCoordinator;
  /** Certifies a newly generated meter key (once per key epoch). */
  readonly certifyMeter: MeterCertifier;
  readonly log: Logger;
  /** The config document the site works from (its authorizer reads the same one); attached by `attachConfig`. Default: none yet. */
  readonly configDocument?: SiteConfigDocument;
  /** Sync with cloud peers: this site's libp2p node and the cloud peers it dials (absent: offline). */
  readonly sync?: {
    readonly node: Libp2p;
    /** Cloud peers in preference order: the home region first. */
    readonly dial: readonly string[];
    /** "failover" (default): one link, to the first cloud peer that answers; "all": a link to each. */
    readonly dialMode?: "failover" | "all";
    /** Live telemetry interval, 1-5 s (default 5 s). */ readonly liveIntervalMs?: number;
  };
  /** Every meter signs a record at least this often, charging or not (default 15 min; docs/auditing.md "Completeness"). */
  readonly idleRecordIntervalMs?: number;
}

/** The label under which the site's secure element keeps a plain meter's signing key. */
/** The label of the site's Ed25519 key that signs session tokens. */
export const SITE_TOKEN_KEY = "site:session-tokens";

export const meterKeyLabel = (meterId: MeterId): string => `meter:${meterId}`;

/**
 * One site controller: store, ledger, journal, orchestrator, metrics. `start` recovers what a crash
 * left open (closing those sessions from the meter's present reading), writes a boot record on every
 * meter, and from then on `tick()` drives the site.
 */
export class SiteController {
  private constructor(
    readonly config: SiteConfig,
    readonly site: SiteRepo,
    readonly ledgerStore: AutomergeLedgerStore,
    readonly journal: AutomergeSessionJournal,
    readonly ledger: LedgerWriter,
    readonly orchestrator: SessionOrchestrator,
    readonly power: PowerCoordinator,
    readonly metrics: SiteMetrics,
    /** The site's token keys by key ID (what the cloud gateway also receives). */
    readonly tokenKeys: ReadonlyMap<string, Uint8Array>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Broadcasts live figures on the root document to the cloud peers (present only with sync). */
    readonly live: LiveTelemetryPublisher | null,
    /** Archives the closed days a cloud peer acknowledged (once a config document is attached). */
    readonly archiver: SiteArchiver,
    /** The config document the site works from. */
    readonly configDocument: SiteConfigDocument,
    /** Signs an idle checkpoint on every meter whose chain has been silent for the idle interval. */
    private readonly idle: IdleRecorder,
    /** The idle-record interval the site runs (ms of its clock). */
    readonly idleRecordIntervalMs: number,
    /** Takes damaged documents back from a cloud peer's verified copy (present only with sync). */
    readonly repairer: DocumentRepairer | null,
  ) {}

  /** Damaged documents and archive files found in the store, and how their repair stands (alarms read it). */
  get integrity(): StoreIntegrity {
    return this.site.integrity;
  }

  private lastArchiveCheckMs = Number.NEGATIVE_INFINITY;

  /**
   * Checks every archive file against its checksum sidecar now; a damaged one is quarantined, reported
   * (alarm, metric, log naming the document and file) and repaired from the cloud like a damaged
   * document. Returns what this check newly found. Runs at start and every `ARCHIVE_CHECK_EVERY_MS` of the site clock.
   */
  checkArchive(): DamagedDocument[] {
    this.lastArchiveCheckMs = this.clock.now();
    const found = this.site.checkArchive();
    for (const d of found)
      this.log.error(
        { document: d.documentId, key: d.key, file: d.file, why: d.reason, quarantinedAt: d.quarantinedAt },
        "damaged archive file set aside; the site restores it from a cloud peer's copy",
      );
    return found;
  }

  /** The record-gap policy an operator publishes in its trust anchors for this site (`maxRecordGapMs`). */
  get maxRecordGapMs(): number {
    return maxRecordGapMsFor(this.idleRecordIntervalMs);
  }

  private lastArchiveMs = Number.NEGATIVE_INFINITY;
  private lastCloudMessageMs = 0;

  /** When a cloud peer last sent this site anything (ms on the site's clock; 0: never since start). */
  lastCloudContactMs(): number {
    return this.lastCloudMessageMs;
  }

  /**
   * Attaches the config document the cloud addressed to this site (its URL comes with provisioning):
   * the authorizer reads trust anchors, revocations and standing from it, the archiver the
   * acknowledgements. A stored copy found damaged at start (set aside, alarm) comes again from the
   * cloud here, and its alarm clears. Resolves once the document
   * is here; while no peer can deliver it (the cloud has not admitted the site yet, the link is down)
   * it tries again every `retryMs`, until the site stops.
   */
  async attachConfig(url: string, retryMs = 5_000): Promise<void> {
    for (;;) {
      try {
        this.configDocument.attach(await this.site.repo.find<ConfigDocument>(url as AutomergeUrl));
        this.site.integrity.repaired(url);
        return;
      } catch (e) {
        if (this.stopped) return;
        this.log.warn({ url, err: (e as Error).message }, "config document not available yet; retrying");
        await new Promise((r) => setTimeout(r, retryMs));
        if (this.stopped) return;
      }
    }
  }

  private stopped = false;

  /** Verifies a car's or phone's session token offline; the session it may read, or why not. */
  checkSessionToken(
    token: string,
  ): { ok: true; sessionId: SessionId } | { ok: false; code: string; message: string } {
    const r = verifySessionToken(token, this.tokenKeys, this.clock.now(), nodeEd25519);
    return r.ok ? { ok: true, sessionId: r.value.sessionId as SessionId } : { ok: false, ...r.error };
  }

  static async start(opts: SiteControllerOptions): Promise<SiteController> {
    const { config, clock, secureElement } = opts;
    let siteRef: SiteRepo | null = null;
    const integrity = new StoreIntegrity(clock);
    const cloudLinks = new CloudLinkLog(opts.log, clock);
    const network: NetworkAdapterInterface[] = [];
    if (opts.sync) {
      const guard = siteWriteGuard({
        siteId: config.siteId,
        cloudPeers: opts.sync.dial,
        isOwnDocument: (id) => siteRef?.isOwnDocument(id) ?? false,
        current: (id) => siteRef?.currentDoc(id) ?? null,
        clock,
        onFlag: (p) =>
          opts.log.warn(
            { peer: p.peerId, document: p.lastDocumentId, why: p.lastReason },
            "dropped a change its writer may not make; peer flagged",
          ),
      });
      network.push(
        new Libp2pNetworkAdapter({
          node: opts.sync.node,
          dial: opts.sync.dial,
          onLink: cloudLinks.onLink,
          dialMode: opts.sync.dialMode ?? "failover",
          // A document the site archived stays out of its repo, whoever offers it again; one under
          // repair comes back only through the repairer's checked copy.
          inboundFilter: (m: Message, r: string) =>
            underRepairMessage(m, integrity) ?? archivedDocumentMessage(m, siteRef) ?? guard.check(m, r),
        }),
      );
    }
    const site = (siteRef = await SiteRepo.open(
      config.siteId,
      config.dataDir,
      network,
      opts.sync ? (opts.sync.node.peerId.toString() as PeerId) : undefined,
      { integrity, clock },
    ));
    for (const d of integrity.pending())
      opts.log.error(
        { document: d.documentId, key: d.key, file: d.file, why: d.reason, quarantinedAt: d.quarantinedAt },
        "damaged document set aside; the site keeps running and restores it from a cloud peer's copy",
      );
    const metrics = new SiteMetrics({ site: config.siteId });
    integrity.observe(metrics.registry);
    cloudLinks.observe(metrics.registry);
    const ledgerStore = await AutomergeLedgerStore.open(site, clock);
    const journal = await AutomergeSessionJournal.open(site, config.siteId);
    for (const s of config.stalls) {
      const certified = site.root.doc().meterCertificates[s.meterId]?.length ?? 0;
      const key =
        (await secureElement.getKey(meterKeyLabel(s.meterId))) ??
        (await secureElement.generateKey(meterKeyLabel(s.meterId), "ed25519"));
      if (certified === 0) {
        const c = await opts.certifyMeter(s.meterId, key.publicKey, key.epoch, "site-secure-element");
        await site.addMeterCertificate(s.meterId, c.certificate, c.operatorKeyId, c.operatorPublicKey);
      }
    }
    const tokenKey =
      (await secureElement.getKey(SITE_TOKEN_KEY)) ??
      (await secureElement.generateKey(SITE_TOKEN_KEY, "ed25519"));
    const tokenKeyId = `${config.siteId}#${tokenKey.epoch}`;
    const ledger = new LedgerWriter(
      ledgerStore,
      (meterId, bytes) => secureElement.sign(meterKeyLabel(meterId), bytes),
      clock,
    );
    const hardware = opts.hardware.map((hw) => ({
      ...hw,
      meter: observedMeter(
        hw.meter,
        hw.config.meterId,
        (code) => metrics.meterFaults.inc({ code }),
        opts.log,
      ),
    }));
    ledger.onAppend((r) => metrics.ledgerRecords.inc({ kind: r.body.kind }));
    metrics.siteLimitW.set(config.gridLimitW);
    const power = opts.power(opts.hardware);
    const orchestrator = new SessionOrchestrator(
      {
        siteId: config.siteId,
        clock,
        random: opts.random,
        authorizer: timedAuthorizer(opts.authorizer, (seconds, accepted) =>
          metrics.authSeconds.observe({ outcome: accepted ? "accepted" : "refused" }, seconds),
        ),
        journal,
        ledger,
        power,
        checkpointIntervalMs: config.checkpointIntervalMs,
        issueToken: async (c) => {
          const body = sessionTokenBody({ ...c, siteId: config.siteId, keyId: tokenKeyId });
          return sessionTokenFrom(body, await secureElement.sign(SITE_TOKEN_KEY, body));
        },
        log: opts.log,
      },
      hardware,
    );
    metrics.observe(orchestrator);
    const recovered = await orchestrator.recover();
    for (const s of recovered)
      opts.log.warn(
        { sessionId: s.sessionId, state: s.state, end: s.end },
        "session closed by recovery after restart",
      );
    for (const hw of hardware) {
      const damaged = ledgerStore.blockedBy(hw.config.meterId);
      if (damaged) {
        opts.log.error(
          { meterId: hw.config.meterId, document: damaged },
          "meter's newest ledger segment is damaged: no boot record, nothing signed on this meter until it is restored",
        );
        continue;
      }
      const r = await hw.meter.read();
      const registerWh = Math.max(r.ok ? r.reading.registerWh : 0, ledger.lastRegisterWh(hw.config.meterId));
      await ledger.append({
        meterId: hw.config.meterId,
        stallId: hw.config.id,
        sessionId: null,
        kind: "boot",
        registerWh,
        status: r.ok ? RecordStatus.ok : RecordStatus.meterFault | RecordStatus.estimated,
      });
    }
    const live = opts.sync
      ? new LiveTelemetryPublisher({
          siteId: config.siteId,
          clock,
          ...(opts.sync.liveIntervalMs !== undefined ? { intervalMs: opts.sync.liveIntervalMs } : {}),
          figures: () => siteLiveFigures(orchestrator.stallViews(), (id) => journal.get(id), opts.hardware),
          broadcast: (m) => site.root.broadcast(m),
        })
      : null;
    const configDocument = opts.configDocument ?? new SiteConfigDocument();
    const idleRecordIntervalMs = opts.idleRecordIntervalMs ?? IDLE_RECORD_INTERVAL_MS;
    maxRecordGapMsFor(idleRecordIntervalMs); // throws RangeError on a bad interval, before anything runs
    const idleMeters = hardware.map((hw) => ({
      meterId: hw.config.meterId,
      stallId: hw.config.id,
      readRegisterWh: async () => {
        const r = await hw.meter.read();
        return r.ok ? r.reading.registerWh : null;
      },
      readReading: async () => {
        const r = await hw.meter.read();
        return r.ok
          ? { registerWh: r.reading.registerWh, meterPayload: r.reading.signedPayload ?? null }
          : null;
      },
    }));
    const controller = new SiteController(
      config,
      site,
      ledgerStore,
      journal,
      ledger,
      orchestrator,
      power,
      metrics,
      new Map([[tokenKeyId, tokenKey.publicKey]]),
      clock,
      opts.log,
      live,
      new SiteArchiver({ site, ledger: ledgerStore, journal, clock, config: configDocument }),
      configDocument,
      new IdleRecorder(ledger, clock, () => idleMeters, idleRecordIntervalMs),
      idleRecordIntervalMs,
      opts.sync
        ? new DocumentRepairer({
            site,
            ledger: ledgerStore,
            journal,
            clock,
            cloudPeers: opts.sync.dial.map((a) => a.slice(a.lastIndexOf("/p2p/") + 5)),
            ed: nodeEd25519,
            log: opts.log,
          })
        : null,
    );
    controller.checkArchive();
    controller.repairer?.start();
    if (opts.sync) {
      const cloud = new Set(opts.sync.dial.map((a) => a.slice(a.lastIndexOf("/p2p/") + 5)));
      site.repo.networkSubsystem.on("message", (m) => {
        if (cloud.has(m.senderId)) controller.lastCloudMessageMs = clock.now();
      });
    }
    return controller;
  }

  /** One control step (meter reads, events, checkpoints, stops), then idle records and live telemetry when due. Never rejects. */
  async tick(): Promise<void> {
    await this.orchestrator.tick();
    try {
      await this.idle.tick();
    } catch (e) {
      // A record that could not be signed or stored is retried on the next tick; the gap it leaves is visible.
      this.log.warn({ err: (e as Error).message }, "idle record not written");
    }
    this.live?.tick();
    this.repairer?.tick();
    if (this.clock.now() - this.lastArchiveCheckMs >= ARCHIVE_CHECK_EVERY_MS) this.checkArchive();
    if (this.clock.now() - this.lastArchiveMs >= ARCHIVE_EVERY_MS) {
      this.lastArchiveMs = this.clock.now();
      const archived = await this.archiver.run();
      if (archived.length > 0) this.log.info({ archived: archived.length }, "archived acknowledged days");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.repairer?.stop();
    await this.orchestrator.close();
    await this.site.close();
  }
}

/** How often the site looks for acknowledged days to archive, ms of its clock. */
const ARCHIVE_EVERY_MS = 10 * 60_000;

/** How often the site checks its archive files against their checksums, ms of its clock (and at start). */
export const ARCHIVE_CHECK_EVERY_MS = 6 * 3_600_000;

/** Why a sync message about a document under repair is not taken in, or null for any other message. */
function underRepairMessage(m: Message, integrity: StoreIntegrity): string | null {
  const documentId = (m as { documentId?: unknown }).documentId;
  return m.type !== "ephemeral" && typeof documentId === "string" && integrity.isUnderRepair(documentId)
    ? `document ${documentId} is under repair here`
    : null;
}

/** Why a message about a document the site archived is not taken in, or null for any other message. */
function archivedDocumentMessage(m: Message, site: SiteRepo | null): string | null {
  const documentId = (m as { documentId?: unknown }).documentId;
  return typeof documentId === "string" && site?.isArchived(documentId)
    ? `document ${documentId} is archived here`
    : null;
}
