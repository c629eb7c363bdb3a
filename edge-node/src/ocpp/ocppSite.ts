import type Database from "better-sqlite3";
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import type { AuthorizationDecision, Clock, StallId } from "@chargemesh/shared-model";
import type { StallConfig } from "../config/siteConfig.js";
import type { SessionOrchestrator } from "../session/sessionOrchestrator.js";
import { ContractChains } from "./contractChains.js";
import type { LocalList, LocalListVersions } from "./localAuthList.js";
import { MemoryLocalListVersions, localListFrom } from "./localAuthList.js";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import { openOcppSiteDatabase } from "./ocppSiteDatabase.js";
import { SqliteContractChainStore } from "./sqliteContractChainStore.js";
import { SqliteLocalListVersions } from "./sqliteLocalListVersionStore.js";
import { SqliteOcppTransactionStore } from "./sqliteOcppTransactionStore.js";
import { MemoryAvailabilityStore, SqliteAvailabilityStore } from "./ocppAvailabilityStore.js";
import { OcppRemoteControl } from "./ocppRemoteControl.js";
import { OcppEvse } from "./ocppEvse.js";
import { officialOcpp201Validator } from "./ocppSchemaValidator.js";
import { OcppServer } from "./ocppServer.js";
import type { SecurityProfile } from "./ocppServer.js";
import { OcppStation } from "./ocppStation.js";
import { OcppTransactionLog } from "./ocppTransactionLog.js";
import type { TransactionSummary } from "./ocppTransactionLog.js";
import type { OcppTotalCost } from "./ocppTotalCost.js";
import type { DiagnosticsResponse } from "@chargemesh/shared-model/contracts";

export interface OcppStationSpec {
  readonly id: string;
  readonly passwordSha256?: string;
  readonly maxW?: number;
  readonly evses: ReadonlyArray<{
    readonly evseId: number;
    readonly stall: string;
    readonly reactionDelayMs: number;
    /** The certified meter's OCMF public key (hex): its signed values are verified on arrival. */
    readonly ocmfPublicKeyHex?: string;
  }>;
}

/** Where the local list comes from: account standing and the revoked certificates (config document or files). */
export interface LocalListSource {
  standing(): Readonly<Record<string, "good" | "blocked">>;
  revokedFingerprints(): Iterable<string>;
}

export interface OcppSiteOptions {
  readonly host: string;
  readonly port: number;
  readonly securityProfile: SecurityProfile;
  readonly tls?: {
    readonly key: string | Buffer;
    readonly cert: string | Buffer;
    readonly ca?: string | Buffer;
  };
  readonly heartbeatIntervalS: number;
  readonly stations: readonly OcppStationSpec[];
  /** The site's stalls (limits, meters); every EVSE names one. */
  readonly stalls: readonly StallConfig[];
  readonly localList: LocalListSource;
  readonly clock: Clock;
  readonly log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  /** Real-time wait for a reconnected charger's first message before the CSMS acts, ms (default 2 s). */
  readonly firstMessageWaitMs?: number;
  /** The total cost Ended transactions are answered with (`ocppTotalCost(config)`); absent: none. */
  readonly totalCost?: OcppTotalCost;
  /**
   * The site's data directory: the transaction log, the contract-chain cache and the local-list
   * versions are kept in its `site.sqlite` and loaded at start, so a restarted controller continues
   * running transactions. Absent: memory only (lost at a restart).
   */
  readonly dataDir?: string;
  /** Shortest time between two CostUpdated of one transaction, ms of `clock` (default 60 s). */
  readonly costUpdateIntervalMs?: number;
}

/**
 * The site as the OCPP 2.0.1 CSMS of its chargers: the WebSocket server, one `OcppStation` per
 * configured charger, and their EVSEs as hal drivers for the site's stalls. `bindOrchestrator` lets
 * Authorize wait for the orchestrator's decision, so a charger hears exactly what the journal records.
 */
export class OcppSite {
  private readonly evses = new Map<StallId, OcppEvse>();
  private readonly stations = new Map<string, OcppStation>();
  private readonly chains: ContractChains;
  private readonly localLists: LocalListVersions;
  /** Rows of the OCPP tables that could not be read back at start (reported, left out). */
  readonly storeDamage: readonly OcppStoreDamage[];
  private readonly decisionWaiters = new Map<StallId, Array<(d: AuthorizationDecision) => void>>();
  private readonly messages = new Counter({
    name: "chargemesh_ocpp_messages_total",
    help: "OCPP calls by action, direction (in: from chargers) and outcome",
    labelNames: ["action", "direction", "outcome"],
    registers: [],
  });
  private readonly handshakes = new Counter({
    name: "chargemesh_ocpp_handshakes_total",
    help: "OCPP WebSocket handshakes by result",
    labelNames: ["result"],
    registers: [],
  });
  private readonly connectedGauge = new Gauge({
    name: "chargemesh_ocpp_stations_connected",
    help: "OCPP stations connected now",
    registers: [],
  });
  private readonly refusedSignedValues = new Counter({
    name: "chargemesh_ocpp_signed_values_refused_total",
    help: "Signed meter values from chargers that did not verify (the reading is kept out of the ledger), by code",
    labelNames: ["code"],
    registers: [],
  });
  private readonly storeWriteErrors = new Counter({
    name: "chargemesh_ocpp_store_write_errors_total",
    help: "Writes of the OCPP transaction log, chain cache or list versions that site.sqlite refused",
    registers: [],
  });
  private server!: OcppServer;
  private readonly transactions: OcppTransactionLog;
  /** Technician commands to the chargers: ChangeAvailability (remembered until accepted) and Reset. */
  readonly remote: OcppRemoteControl;

  private constructor(
    private readonly opts: OcppSiteOptions,
    private readonly db: Database.Database | null,
  ) {
    {
      const clock = opts.clock;
      const onStoreError = (e: unknown) => {
        this.storeWriteErrors.inc();
        opts.log.warn({ err: String(e) }, "OCPP store write failed; kept in memory only");
      };
      this.chains = new ContractChains(10_000, {
        clock,
        onStoreError,
        ...(this.db ? { store: new SqliteContractChainStore(this.db) } : {}),
      });
      this.transactions = new OcppTransactionLog(1_000, 5_000, {
        clock,
        onStoreError,
        ...(this.db ? { store: new SqliteOcppTransactionStore(this.db) } : {}),
      });
      const lists = this.db ? new SqliteLocalListVersions(this.db, 1_000, 200_000, onStoreError) : null;
      this.localLists = lists ?? new MemoryLocalListVersions();
      this.storeDamage = [...this.chains.damaged, ...this.transactions.damaged, ...(lists?.damaged ?? [])];
    }
    let remote: OcppRemoteControl | null = null;
    for (const d of this.storeDamage)
      opts.log.warn(
        { table: d.table, key: d.key, code: d.code, why: d.message },
        "OCPP store row unreadable; left out",
      );
    const stalls = new Map(opts.stalls.map((s) => [s.id as string, s]));
    const transactions = this.transactions;
    for (const spec of opts.stations) {
      const evses = new Map<number, OcppEvse>();
      const safe = new Map<number, number>();
      let sumMaxW = 0;
      let station: OcppStation | null = null;
      for (const e of spec.evses) {
        const stall = stalls.get(e.stall);
        if (!stall)
          throw new Error(
            `station ${spec.id} EVSE ${e.evseId}: stall ${e.stall} is not in the site's stalls`,
          );
        const evse = new OcppEvse(
          {
            stationId: spec.id,
            evseId: e.evseId,
            meterId: stall.meterId,
            maxW: stall.maxW,
            minW: stall.minW,
            reactionDelayMs: e.reactionDelayMs,
          },
          {
            connected: () => station?.connected() ?? false,
            setTransactionLimit: (id, tx, w) => station!.setTransactionLimit(id, tx, w),
            requestStop: (tx) => station!.requestStop(tx),
          },
        );
        evses.set(e.evseId, evse);
        safe.set(e.evseId, stall.safeLimitW);
        sumMaxW += stall.maxW;
        this.evses.set(stall.id, evse);
      }
      station = new OcppStation(
        spec.id,
        evses,
        { stationMaxW: spec.maxW ?? sumMaxW, safeLimitW: safe },
        {
          clock: opts.clock,
          heartbeatIntervalS: opts.heartbeatIntervalS,
          localList: () => this.localList(),
          chains: this.chains,
          transactions,
          localLists: this.localLists,
          awaitDecision: (evse, ms) => this.awaitDecision(evse, ms),
          onOnline: () => remote?.onStationOnline(spec.id) ?? Promise.resolve(),
          log: opts.log,
          count: (action, direction, outcome) => this.messages.inc({ action, direction, outcome }),
          countRefusedSignedValue: (code) => this.refusedSignedValues.inc({ code }),
          ...(opts.firstMessageWaitMs !== undefined ? { firstMessageWaitMs: opts.firstMessageWaitMs } : {}),
          ...(opts.totalCost ? { totalCost: opts.totalCost } : {}),
          ocmfPublicKeys: new Map(
            spec.evses.flatMap((e) =>
              e.ocmfPublicKeyHex
                ? [[e.evseId, Uint8Array.from(Buffer.from(e.ocmfPublicKeyHex, "hex"))] as const]
                : [],
            ),
          ),
          ...(opts.costUpdateIntervalMs !== undefined
            ? { costUpdateIntervalMs: opts.costUpdateIntervalMs }
            : {}),
        },
      );
      this.stations.set(spec.id, station);
    }
    remote = new OcppRemoteControl(this.evses, this.stations, {
      store: this.db ? new SqliteAvailabilityStore(this.db) : new MemoryAvailabilityStore(),
      log: opts.log,
      onStoreError: (e) => {
        this.storeWriteErrors.inc();
        opts.log.warn({ err: String(e) }, "OCPP availability write failed; kept in memory only");
      },
    });
    this.remote = remote;
  }

  /** Builds the stations and EVSEs and starts listening. Throws on a config that names unknown stalls or lacks TLS material. */
  static async start(opts: OcppSiteOptions): Promise<OcppSite> {
    const db = opts.dataDir ? openOcppSiteDatabase(opts.dataDir) : null;
    try {
      return await OcppSite.listen(new OcppSite(opts, db), opts);
    } catch (e) {
      if (db?.open) db.close();
      throw e;
    }
  }

  private static async listen(site: OcppSite, opts: OcppSiteOptions): Promise<OcppSite> {
    const secrets = new Map(opts.stations.map((s) => [s.id, s]));
    site.server = await OcppServer.listen({
      host: opts.host,
      port: opts.port,
      securityProfile: opts.securityProfile,
      ...(opts.tls ? { tls: opts.tls } : {}),
      validator: officialOcpp201Validator(),
      credential: (id) => {
        const s = secrets.get(id);
        return s ? (s.passwordSha256 ? { passwordSha256: s.passwordSha256 } : {}) : null;
      },
      handlerFor: (id) => site.stations.get(id)!.handle,
      onConnected: (id, connection) => {
        site.stations.get(id)!.attach(connection);
        site.stopTransactionsWhoseSessionIsOver(id);
        site.connectedGauge.set(site.server.connectedStations().length);
        connection.onClose(() => site.connectedGauge.set(site.server.connectedStations().length));
      },
      onHandshake: (result) => site.handshakes.inc({ result }),
      log: opts.log,
    });
    return site;
  }

  get url(): string {
    return this.server.url;
  }

  /** The hal drivers of a stall bound to an OCPP EVSE, or null for a stall that is not. */
  hardwareFor(stallId: StallId): {
    meter: OcppEvse["meter"];
    stage: OcppEvse["stage"];
    link: OcppEvse["link"];
    resumeSession: (sessionId: string) => boolean;
  } | null {
    const e = this.evses.get(stallId);
    return e
      ? { meter: e.meter, stage: e.stage, link: e.link, resumeSession: (id) => this.resumeSession(e, id) }
      : null;
  }

  /**
   * After a controller restart: when the log holds a running transaction on this EVSE that charges
   * for `sessionId`, the EVSE takes it up again (its later events, with or without idToken, belong to
   * that session) and this returns true; otherwise false (recovery closes the session).
   */
  private resumeSession(evse: OcppEvse, sessionId: string): boolean {
    const tx = this.transactions.runningFor(evse.config.stationId, evse.config.evseId, sessionId);
    if (!tx) return false;
    evse.resumeTransaction(
      tx.transactionId,
      tx.decision ?? null,
      tx.highestRegisterWh,
      tx.lastEventMs ?? this.opts.clock.now(),
    );
    this.opts.log.info(
      { station: evse.config.stationId, transactionId: tx.transactionId, sessionId },
      "running transaction taken up after restart",
    );
    return true;
  }

  /**
   * A station (re)connected: a transaction it may still run whose session the site already ended
   * (stopped while the charger was away, or before a controller restart) is never adopted as a new
   * session and is stopped again (RequestStopTransaction; a charger that no longer runs it rejects).
   */
  private stopTransactionsWhoseSessionIsOver(stationId: string): void {
    const station = this.stations.get(stationId);
    if (!station) return;
    for (const tx of this.transactions.open(stationId)) {
      if (!tx.sessionOver) continue;
      const evse = tx.evseId === null ? undefined : station.evses.get(tx.evseId);
      evse?.sessionOver(tx.transactionId);
      this.opts.log.warn(
        { station: stationId, transactionId: tx.transactionId, sessionId: tx.sessionId },
        "transaction still open whose session is over; stopping it",
      );
      void station.requestStop(tx.transactionId);
    }
  }

  /** Notes which session the EVSE's running transaction charges for (durable, for a restart). */
  private bindSession(evse: OcppEvse, sessionId: string, decision: AuthorizationDecision | null): void {
    const tx = evse.transactionId();
    if (!tx) return;
    const known = this.transactions.sessionOf(evse.config.stationId, tx);
    if (!known || (known.sessionId === sessionId && (known.hasDecision || decision === null))) return;
    try {
      this.transactions.bindSession(evse.config.stationId, tx, sessionId, decision);
    } catch (e) {
      this.opts.log.warn(
        { station: evse.config.stationId, transactionId: tx, err: String(e) },
        "session binding not stored",
      );
    }
  }

  evse(stallId: StallId): OcppEvse | null {
    return this.evses.get(stallId) ?? null;
  }

  /** Every configured station and whether it is connected now (for the kiosk's diagnostics). */
  chargers(): DiagnosticsResponse["ocppChargers"] {
    return [...this.stations].map(([chargerId, s]) => ({ chargerId, connected: s.connected() }));
  }

  station(stationId: string): OcppStation | null {
    return this.stations.get(stationId) ?? null;
  }

  /** Follows the orchestrator's decisions (Authorize answers, refusals) and exposes the OCPP metrics in `registry`. */
  bindOrchestrator(orchestrator: SessionOrchestrator, registry?: Registry): void {
    if (registry) {
      registry.registerMetric(this.messages);
      registry.registerMetric(this.handshakes);
      registry.registerMetric(this.connectedGauge);
      registry.registerMetric(this.storeWriteErrors);
      registry.registerMetric(this.refusedSignedValues);
      registry.registerMetric(this.remote.commands);
    }
    // The journal's out-of-service flags are what the chargers' availability must follow.
    const out = new Set(
      orchestrator
        .stallViews()
        .filter((v) => v.phase === "out_of_service")
        .map((v) => v.stallId as string),
    );
    this.remote.reconcile((stallId) => out.has(stallId));
    // A transaction can start after its session did (Authorize first): bind it once both are there.
    orchestrator.on("telemetry", (frame) => {
      const evse = this.evses.get(frame.stallId);
      if (evse && frame.sessionId) this.bindSession(evse, frame.sessionId, evse.decision());
    });
    orchestrator.on("session", (entry) => {
      const evse = this.evses.get(entry.stallId);
      if (!evse || !entry.authorization || entry.state === "authorizing") return;
      if (
        entry.state === "charging" ||
        entry.state === "rejected" ||
        (entry.state === "failed" && entry.end === null)
      ) {
        for (const w of this.decisionWaiters.get(entry.stallId)?.splice(0) ?? []) w(entry.authorization);
      }
      if (entry.state === "charging") {
        evse.recordDecision(entry.authorization);
        this.bindSession(evse, entry.sessionId, entry.authorization);
      }
      if (entry.state === "completed" || entry.state === "rejected" || entry.state === "failed") {
        try {
          for (const tx of this.transactions.sessionEnded(evse.config.stationId, entry.sessionId))
            evse.sessionOver(tx);
        } catch (e) {
          this.opts.log.warn(
            { sessionId: entry.sessionId, err: String(e) },
            "session end not noted in the OCPP log",
          );
        }
      }
      if (entry.state === "rejected" || entry.state === "failed") {
        evse.recordDecision(entry.authorization);
        const tx = evse.transactionId();
        evse.sessionRefused();
        const station = this.stations.get(evse.config.stationId);
        if (tx && station?.connected()) void station.requestStop(tx);
      }
    });
  }

  /** What the site stored of a charger's transaction (events by seqNo, ended, highest register). */
  transaction(stationId: string, transactionId: string): TransactionSummary | null {
    return this.transactions.get(stationId, transactionId);
  }

  /** Pushes the current local list to every connected charger (differential when it knows the last one). */
  async syncLocalLists(): Promise<void> {
    await Promise.all([...this.stations.values()].filter((s) => s.connected()).map((s) => s.syncLocalList()));
  }

  /** Calls in flight over all stations, and their background work settled (tests move virtual time only when idle). */
  busy(): number {
    let n = 0;
    for (const s of this.stations.values()) n += s.busy();
    return n;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.stations.values()].map((s) => s.idle()));
  }

  /** Closes the listener and the station connections, then the OCPP tables' database connection. */
  async close(): Promise<void> {
    try {
      await this.server.close();
    } finally {
      if (this.db?.open) this.db.close();
    }
  }

  /** The local-list version the site knows a station holds (null: none known; its next update is Full). */
  localListVersion(stationId: string): number | null {
    return this.localLists.get(stationId)?.version ?? null;
  }

  private localList(): LocalList {
    return localListFrom(
      this.opts.localList.standing(),
      this.chains.contractsOf(this.opts.localList.revokedFingerprints()),
    );
  }

  private awaitDecision(evse: OcppEvse, timeoutMs: number): Promise<AuthorizationDecision | null> {
    const stallId = [...this.evses].find(([, e]) => e === evse)?.[0];
    if (!stallId) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const list = this.decisionWaiters.get(stallId) ?? [];
      list.push((d) => {
        clearTimeout(timer);
        resolve(d);
      });
      this.decisionWaiters.set(stallId, list);
    });
  }
}
