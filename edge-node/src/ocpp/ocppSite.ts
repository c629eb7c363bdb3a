import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import type { AuthorizationDecision, Clock, StallId } from "@chargemesh/shared-model";
import type { StallConfig } from "../config/siteConfig.js";
import type { SessionOrchestrator } from "../session/sessionOrchestrator.js";
import { ContractChains } from "./contractChains.js";
import type { LocalList } from "./localAuthList.js";
import { localListFrom } from "./localAuthList.js";
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
}

/**
 * The site as the OCPP 2.0.1 CSMS of its chargers: the WebSocket server, one `OcppStation` per
 * configured charger, and their EVSEs as hal drivers for the site's stalls. `bindOrchestrator` lets
 * Authorize wait for the orchestrator's decision, so a charger hears exactly what the journal records.
 */
export class OcppSite {
  private readonly evses = new Map<StallId, OcppEvse>();
  private readonly stations = new Map<string, OcppStation>();
  private readonly chains = new ContractChains();
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
  private server!: OcppServer;
  private readonly transactions = new OcppTransactionLog();

  private constructor(private readonly opts: OcppSiteOptions) {
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
          awaitDecision: (evse, ms) => this.awaitDecision(evse, ms),
          log: opts.log,
          count: (action, direction, outcome) => this.messages.inc({ action, direction, outcome }),
          ...(opts.firstMessageWaitMs !== undefined ? { firstMessageWaitMs: opts.firstMessageWaitMs } : {}),
          ...(opts.totalCost ? { totalCost: opts.totalCost } : {}),
        },
      );
      this.stations.set(spec.id, station);
    }
  }

  /** Builds the stations and EVSEs and starts listening. Throws on a config that names unknown stalls or lacks TLS material. */
  static async start(opts: OcppSiteOptions): Promise<OcppSite> {
    const site = new OcppSite(opts);
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
  hardwareFor(
    stallId: StallId,
  ): { meter: OcppEvse["meter"]; stage: OcppEvse["stage"]; link: OcppEvse["link"] } | null {
    const e = this.evses.get(stallId);
    return e ? { meter: e.meter, stage: e.stage, link: e.link } : null;
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
    }
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
      if (entry.state === "charging") evse.recordDecision(entry.authorization);
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

  async close(): Promise<void> {
    await this.server.close();
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
