import type { AuthorizationDecision, Clock } from "@chargemesh/shared-model";
import type { ContractChains } from "./contractChains.js";
import { pemChain } from "./contractChains.js";
import type { LocalList, LocalListVersions } from "./localAuthList.js";
import { MemoryLocalListVersions, differentialUpdate, fullUpdate } from "./localAuthList.js";
import { meterFigures } from "./ocppMeterValues.js";
import {
  STATION_MAX_PROFILE_ID,
  TX_DEFAULT_PROFILE_ID,
  TX_PROFILE_ID,
  singleLimitProfile,
} from "./ocppChargingProfiles.js";
import type { MeterFigures } from "./ocppMeterValues.js";
import { certificateStatusOf, idTokenStatusFromList, idTokenStatusOf } from "./ocppIdTokenInfo.js";
import type { OcppEvse } from "./ocppEvse.js";
import type { OcppCallResult, OcppRpcConnection } from "./ocppRpcConnection.js";
import { OcppCallError } from "./ocppRpcConnection.js";
import type { OcppTransactionLog } from "./ocppTransactionLog.js";
import type { OcppTotalCost } from "./ocppTotalCost.js";
import { chargerCostFigure } from "./ocppTotalCost.js";
import { DEFAULT_COST_UPDATE_INTERVAL_MS, OcppRunningCost } from "./ocppRunningCost.js";

type Payload = Record<string, unknown>;

export interface OcppStationDeps {
  readonly clock: Clock;
  readonly heartbeatIntervalS: number;
  /** The local authorization list every charger should hold now. */
  readonly localList: () => LocalList;
  readonly chains: ContractChains;
  readonly transactions: OcppTransactionLog;
  /** Waits for the orchestrator's decision on the session that a plug on `evse` opened (null: none in time). */
  readonly awaitDecision: (evse: OcppEvse, timeoutMs: number) => Promise<AuthorizationDecision | null>;
  readonly log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  readonly count?: (action: string, direction: "in" | "out", outcome: string) => void;
  /** Hears every signed meter value that did not verify, by its code. */
  readonly countRefusedSignedValue?: (code: string) => void;
  /** Real-time wait for the first message of a connection before the CSMS acts on its own, ms. */
  readonly firstMessageWaitMs?: number;
  /**
   * The total cost an Ended TransactionEvent is answered with (ocppTotalCost), and the running cost
   * sent in CostUpdated during the transaction from the same function; absent or null: none.
   */
  readonly totalCost?: OcppTotalCost;
  /** The shortest time between two CostUpdated of one transaction, ms of `clock` (default 60 s). */
  readonly costUpdateIntervalMs?: number;
  /** The P-256 keys of the certified (Eichrecht) meters by EVSE ID: their signed values are verified on arrival. */
  readonly ocmfPublicKeys?: ReadonlyMap<number, Uint8Array>;
  /** The list version each charger holds (kept across controller restarts when durable); absent: memory. */
  readonly localLists?: LocalListVersions;
  /** Runs first when the station is (re)connected and acts (the remembered availability of its EVSEs). */
  readonly onOnline?: () => Promise<void>;
}

/** A signed meter value the station sent that the site refused (it did not enter the ledger). */
export interface RefusedSignedValue {
  readonly evseId: number;
  readonly transactionId: string | null;
  /** "bad_signature": the meter's key does not verify it; "invalid_input": not OCMF or another register. */
  readonly code: "bad_signature" | "invalid_input";
  readonly message: string;
  readonly atMs: number;
}

const MAX_REFUSALS_KEPT = 32;

export interface StationLimits {
  /** ChargingStationMaxProfile installed at every accepted boot, W. */
  readonly stationMaxW: number;
  /** TxDefaultProfile per EVSE: what a transaction started without the controller may draw, W. */
  readonly safeLimitW: ReadonlyMap<number, number>;
}

const BOOT_VARIABLES: ReadonlyArray<[string, string, string]> = [
  ["AuthCtrlr", "LocalAuthorizeOffline", "true"],
  ["AuthCtrlr", "LocalPreAuthorize", "false"],
  ["AuthCtrlr", "OfflineTxForUnknownIdEnabled", "false"],
  ["AuthCacheCtrlr", "Enabled", "true"],
  ["LocalAuthListCtrlr", "Enabled", "true"],
  ["TxCtrlr", "StopTxOnInvalidId", "true"],
  ["SampledDataCtrlr", "SignReadings", "true"],
  ["AlignedDataCtrlr", "SignReadings", "true"],
  ["SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register,Power.Active.Import"],
  // Idle EVSEs report their register every 15 min too (clock-aligned), as the site's idle records do.
  ["AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register"],
  ["AlignedDataCtrlr", "Interval", "900"],
];

/**
 * The CSMS side of one charging station, across its connections: answers its calls (every
 * TransactionEvent is answered, with idTokenInfo), provisions it at every accepted boot (offline
 * authorization, cache and signed-reading variables; the local list, full then differential; a
 * ChargingStationMaxProfile and per-EVSE TxDefaultProfiles), asks GetTransactionStatus after a
 * reconnect, and carries its EVSEs' limits as TxProfiles.
 */
export class OcppStation {
  private connection: OcppRpcConnection | null = null;
  private provisioned = false;
  private readonly lists: LocalListVersions;
  private get listSent(): { version: number; list: LocalList } | null {
    return this.lists.get(this.stationId);
  }
  private set listSent(sent: { version: number; list: LocalList } | null) {
    this.lists.set(this.stationId, sent);
  }
  private firstMessageSeen = false;
  private afterConnectTimer: NodeJS.Timeout | null = null;
  private work: Promise<unknown> = Promise.resolve();
  private readonly meterKeys = new Map<number, Uint8Array>();
  private readonly runningCost: OcppRunningCost;
  private costUpdatedUnsupported = false;
  private readonly refusals: RefusedSignedValue[] = [];
  booted = false;

  constructor(
    readonly stationId: string,
    readonly evses: ReadonlyMap<number, OcppEvse>,
    private readonly limits: StationLimits,
    private readonly deps: OcppStationDeps,
  ) {
    this.lists = deps.localLists ?? new MemoryLocalListVersions();
    for (const evse of evses.values()) {
      if (evse.config.stationId !== stationId)
        throw new Error(`EVSE ${evse.config.evseId} belongs to ${evse.config.stationId}, not ${stationId}`);
    }
    for (const [evseId, key] of deps.ocmfPublicKeys ?? []) this.certifiedMeterKey(evseId, key);
    this.runningCost = new OcppRunningCost(deps.totalCost, deps.clock, {
      minIntervalMs: deps.costUpdateIntervalMs ?? DEFAULT_COST_UPDATE_INTERVAL_MS,
    });
  }

  /**
   * Provisions the P-256 key of the certified meter in EVSE `evseId` (the key its meter certificate
   * names): from now on its signed values are verified on arrival, and a reading whose signed value
   * does not verify is refused. Throws on an EVSE this station does not have.
   */
  certifiedMeterKey(evseId: number, publicKey: Uint8Array): void {
    if (!this.evses.has(evseId)) throw new Error(`station ${this.stationId} has no EVSE ${evseId}`);
    this.meterKeys.set(evseId, new Uint8Array(publicKey));
  }

  /** The latest signed values refused (at most 32, oldest first): kept out of the ledger, logged with their code. */
  refusedSignedValues(): readonly RefusedSignedValue[] {
    return [...this.refusals];
  }

  connected(): boolean {
    return this.connection?.isOpen() ?? false;
  }

  /** In-flight calls and answers (tests move virtual time only when this is 0). */
  busy(): number {
    return this.connection?.busy() ?? 0;
  }

  /** Chained background work (provisioning, local lists) has settled. */
  idle(): Promise<unknown> {
    return this.work;
  }

  /** A new authenticated connection: it replaces the previous one. */
  attach(connection: OcppRpcConnection): void {
    this.connection = connection;
    this.firstMessageSeen = false;
    connection.onClose(() => {
      if (this.connection !== connection) return;
      this.connection = null;
      if (this.afterConnectTimer) clearTimeout(this.afterConnectTimer);
      for (const e of this.evses.values()) e.connectionChanged();
      this.deps.log.warn({ station: this.stationId }, "OCPP station disconnected");
    });
    for (const e of this.evses.values()) e.connectionChanged();
    // A charger that only reconnected (no reboot) sends no BootNotification: act on its first other message, or soon.
    this.afterConnectTimer = setTimeout(
      () => this.onFirstMessage("none"),
      this.deps.firstMessageWaitMs ?? 2_000,
    );
  }

  /** The handler the server binds to this station's connections. */
  readonly handle = async (action: string, payload: Payload): Promise<Payload> => {
    if (action !== "BootNotification") this.onFirstMessage(action);
    const answer = await this.answer(action, payload);
    this.deps.count?.(action, "in", "answered");
    return answer;
  };

  /** Sends the local list again when it changed (a differential update), or in full when the charger lost track. */
  syncLocalList(): Promise<void> {
    return this.enqueue(() => this.sendLocalList());
  }

  // ---- calls to the station ----

  /** EvsePort: a TxProfile for the transaction; true when the charger accepted it. */
  async setTransactionLimit(evseId: number, transactionId: string, limitW: number): Promise<boolean> {
    const r = await this.call("SetChargingProfile", {
      evseId,
      chargingProfile: singleLimitProfile({
        id: TX_PROFILE_ID + evseId,
        purpose: "TxProfile",
        limitW,
        transactionId,
      }),
    });
    return r.ok && r.payload.status === "Accepted";
  }

  /** EvsePort / technician: RequestStopTransaction. */
  async requestStop(transactionId: string): Promise<boolean> {
    const r = await this.call("RequestStopTransaction", { transactionId });
    return r.ok && r.payload.status === "Accepted";
  }

  /** Technician: ChangeAvailability of one EVSE (or the whole station with evseId 0). */
  async changeAvailability(evseId: number, operative: boolean): Promise<OcppCallResult> {
    return this.call("ChangeAvailability", {
      operationalStatus: operative ? "Operative" : "Inoperative",
      ...(evseId > 0 ? { evse: { id: evseId } } : {}),
    });
  }

  /** Technician: Reset (OnIdle waits for running transactions; Immediate stops them). */
  async reset(type: "Immediate" | "OnIdle"): Promise<OcppCallResult> {
    return this.call("Reset", { type });
  }

  private call(action: string, payload: Payload): Promise<OcppCallResult> {
    const c = this.connection;
    if (!c)
      return Promise.resolve({
        ok: false,
        code: "Closed",
        message: `station ${this.stationId} is not connected`,
      });
    return c.call(action, payload).then((r) => {
      this.deps.count?.(action, "out", r.ok ? "answered" : r.code);
      if (!r.ok)
        this.deps.log.warn(
          { station: this.stationId, action, code: r.code, why: r.message },
          "OCPP call failed",
        );
      return r;
    });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.work.then(fn, fn);
    this.work = next.catch(() => undefined);
    return next;
  }

  private onFirstMessage(action: string): void {
    if (this.firstMessageSeen) return;
    this.firstMessageSeen = true;
    if (this.afterConnectTimer) clearTimeout(this.afterConnectTimer);
    void this.enqueue(async () => {
      if (!this.provisioned) await this.provision();
      else {
        await this.deps.onOnline?.();
        await this.sendLocalList();
      }
      await this.askOpenTransactions();
    });
    this.deps.log.info({ station: this.stationId, first: action }, "OCPP station reconnected");
  }

  /** Boot-time configuration; idempotent, repeated at every accepted boot. */
  private async provision(): Promise<void> {
    await this.deps.onOnline?.();
    const sv = await this.call("SetVariables", {
      setVariableData: BOOT_VARIABLES.map(([component, variable, value]) => ({
        component: { name: component },
        variable: { name: variable },
        attributeValue: value,
      })),
    });
    if (sv.ok) {
      const refused = (
        sv.payload.setVariableResult as Array<{ attributeStatus: string; variable: { name: string } }>
      ).filter((r) => r.attributeStatus !== "Accepted");
      if (refused.length > 0)
        this.deps.log.warn(
          { station: this.stationId, refused: refused.map((r) => `${r.variable.name}:${r.attributeStatus}`) },
          "station refused some boot variables",
        );
    }
    // The list survives reboots of both sides: Differential from what the charger holds, Full when its version differs.
    const held = await this.call("GetLocalListVersion", {});
    if (!held.ok || Number(held.payload.versionNumber) !== this.listSent?.version) this.listSent = null;
    await this.sendLocalList();
    await this.call("SetChargingProfile", {
      evseId: 0,
      chargingProfile: singleLimitProfile({
        id: STATION_MAX_PROFILE_ID,
        purpose: "ChargingStationMaxProfile",
        limitW: this.limits.stationMaxW,
        startSchedule: new Date(this.deps.clock.now()).toISOString(),
      }),
    });
    for (const evseId of this.evses.keys())
      await this.call("SetChargingProfile", {
        evseId,
        chargingProfile: singleLimitProfile({
          id: TX_DEFAULT_PROFILE_ID + evseId,
          purpose: "TxDefaultProfile",
          limitW: this.limits.safeLimitW.get(evseId) ?? 0,
        }),
      });
    await this.askFirstReadings();
    this.provisioned = this.connected();
  }

  /**
   * An EVSE whose charger never reported its register yet cannot be read, which the site counts as a
   * meter fault: TriggerMessage (F06) asks for MeterValues now instead of waiting for a transaction or
   * the next clock-aligned value. A charger that refuses or does not implement it is left alone.
   */
  private async askFirstReadings(): Promise<void> {
    for (const [evseId, evse] of this.evses) {
      if (evse.hasReading()) continue;
      const r = await this.call("TriggerMessage", { requestedMessage: "MeterValues", evse: { id: evseId } });
      if (!r.ok || r.payload.status !== "Accepted")
        this.deps.log.info(
          { station: this.stationId, evse: evseId, answer: r.ok ? r.payload.status : r.code },
          "station sends no meter value on request; its meter is unread until it reports one",
        );
    }
  }

  private async sendLocalList(): Promise<void> {
    const want = this.deps.localList();
    if (!this.listSent) {
      const v = await this.call("GetLocalListVersion", {});
      if (!v.ok) return;
      const version = Math.max(0, Number(v.payload.versionNumber)) + 1;
      const r = await this.call("SendLocalList", {
        versionNumber: version,
        updateType: "Full",
        ...(want.size > 0 ? { localAuthorizationList: fullUpdate(want) } : {}),
      });
      if (r.ok && r.payload.status === "Accepted") this.listSent = { version, list: want };
      return;
    }
    const diff = differentialUpdate(this.listSent.list, want);
    if (diff.length === 0) return;
    const version = this.listSent.version + 1;
    const r = await this.call("SendLocalList", {
      versionNumber: version,
      updateType: "Differential",
      localAuthorizationList: diff,
    });
    if (r.ok && r.payload.status === "Accepted") this.listSent = { version, list: want };
    else if (r.ok) this.listSent = null; // Failed or VersionMismatch: the next sync sends the full list
  }

  /** After a reconnect: transactions the site holds open; one the charger ended with nothing queued is closed here. */
  private async askOpenTransactions(): Promise<void> {
    for (const tx of this.deps.transactions.open(this.stationId)) {
      const r = await this.call("GetTransactionStatus", { transactionId: tx.transactionId });
      if (!r.ok) continue;
      if (r.payload.ongoingIndicator === false && r.payload.messagesInQueue === false) {
        this.deps.transactions.markEnded(this.stationId, tx.transactionId);
        const evse = tx.evseId === null ? undefined : this.evses.get(tx.evseId);
        evse?.transactionEnded(tx.transactionId);
      }
    }
  }

  // ---- calls from the station ----

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  private async answer(action: string, p: Payload): Promise<Payload> {
    switch (action) {
      case "BootNotification":
        this.booted = true;
        this.provisioned = false;
        this.costUpdatedUnsupported = false;
        this.firstMessageSeen = true;
        if (this.afterConnectTimer) clearTimeout(this.afterConnectTimer);
        // Provisioning starts once the Accepted answer is on its way.
        setImmediate(() => void this.enqueue(() => this.provision()));
        return { currentTime: this.now(), interval: this.deps.heartbeatIntervalS, status: "Accepted" };
      case "Heartbeat":
        return { currentTime: this.now() };
      case "StatusNotification": {
        const evse = this.evses.get(Number(p.evseId));
        evse?.faulted(p.connectorStatus === "Faulted" ? "charger_faulted" : null);
        return {};
      }
      case "MeterValues": {
        const evseId = Number(p.evseId);
        const evse = this.evses.get(evseId);
        const f = meterFigures(p.meterValue, this.meterKeys.get(evseId) ?? null);
        this.noteRejected(f, evseId, evse?.transactionId() ?? null);
        evse?.reading(f.registerWh, f.powerW, f.signedPayload, this.deps.clock.now(), evse.transactionId());
        return {};
      }
      case "Authorize":
        return this.authorize(p);
      case "TransactionEvent":
        return this.transactionEvent(p);
      case "NotifyReport":
      case "NotifyEvent":
      case "SecurityEventNotification":
      case "FirmwareStatusNotification":
      case "LogStatusNotification":
      case "NotifyMonitoringReport":
        return {};
      case "NotifyEVChargingNeeds":
        return { status: "Accepted" };
      case "DataTransfer":
        return { status: "UnknownVendorId" };
      case "GetCertificateStatus":
        return { status: "Failed" };
      case "Get15118EVCertificate":
        return { status: "Failed", exiResponse: "" };
      case "SignCertificate":
        return { status: "Rejected" };
      default:
        throw new OcppCallError("NotImplemented", `${action} is not handled by this CSMS`);
    }
  }

  /** The EVSE an Authorize is for (Authorize names none): the one whose transaction awaits authorization, else the only one. */
  private evseForAuthorize(): OcppEvse | null {
    const waiting = [...this.evses.values()].filter((e) => e.transactionId() !== null && !e.occupied());
    if (waiting.length === 1) return waiting[0]!;
    const free = [...this.evses.values()].filter((e) => !e.occupied());
    return free.length === 1 ? free[0]! : null;
  }

  private async authorize(p: Payload): Promise<Payload> {
    const idToken = p.idToken as { idToken: string; type: string };
    const emaid = idToken.type === "eMAID" ? idToken.idToken : null;
    const presented = typeof p.certificate === "string" ? pemChain(p.certificate) : [];
    const chain = presented.length > 0 ? presented : emaid ? this.deps.chains.chainOf(emaid) : null;
    if (!chain || chain.length === 0) {
      return {
        idTokenInfo: { status: idTokenStatusFromList(emaid ? this.deps.localList().get(emaid) : undefined) },
        ...(p.iso15118CertificateHashData ? { certificateStatus: "NoCertificateAvailable" } : {}),
      };
    }
    if (emaid && presented.length > 0) this.deps.chains.remember(emaid, presented);
    const evse = this.evseForAuthorize();
    if (!evse) return { idTokenInfo: { status: "ConcurrentTx" } };
    const decision = this.deps.awaitDecision(evse, 20_000);
    evse.announcePlug({
      certificateChain: chain,
      ...(emaid ? { claimedEmaid: emaid } : {}),
      proofOfPossession: "charger-secc",
    });
    const d = await decision;
    if (!d) return { idTokenInfo: { status: "Unknown" } };
    // Answer once the power manager's TxProfile is on the charger, so it never starts above its share.
    if (d.accepted && evse.transactionId() !== null) await evse.limitInstalled(5_000);
    return { idTokenInfo: { status: idTokenStatusOf(d) }, certificateStatus: certificateStatusOf(d) };
  }

  private transactionEvent(p: Payload): Payload {
    const info = p.transactionInfo as { transactionId: string };
    const txId = info.transactionId;
    const eventType = p.eventType as "Started" | "Updated" | "Ended";
    const idToken = (p.idToken as { idToken: string; type: string } | undefined) ?? null;
    const known = this.deps.transactions.get(this.stationId, txId);
    const evseId =
      (p.evse as { id: number } | undefined)?.id ??
      known?.evseId ??
      (this.evses.size === 1 ? [...this.evses.keys()][0]! : null);
    const f = meterFigures(p.meterValue, evseId === null ? null : (this.meterKeys.get(evseId) ?? null));
    const stored = this.deps.transactions.record(
      this.stationId,
      txId,
      {
        eventType,
        seqNo: p.seqNo as number,
        timestamp: p.timestamp as string,
        offline: p.offline === true,
        triggerReason: p.triggerReason as string,
      },
      { evseId, idToken, registerWh: f.registerWh },
    );
    const evse = evseId === null ? undefined : this.evses.get(evseId);
    const tx = this.deps.transactions.get(this.stationId, txId);
    // A straggler of a transaction already over changes nothing; anything else is this EVSE's transaction now.
    if (stored === "new" && evse && !known?.ended) {
      evse.transactionSeen(txId);
      this.noteRejected(f, evseId!, txId);
      evse.reading(f.registerWh, f.powerW, f.signedPayload, this.deps.clock.now(), txId);
      const token = tx?.idToken ?? null;
      if (token && evse.awaitingAdoption()) this.adoptChargerAuthorized(evse, token);
      if (eventType === "Ended") evse.transactionEnded(txId);
    }
    // A transaction this controller holds no record of, joined midway without an idToken (the controller
    // restarted under it): nobody authorized it here, so it is stopped rather than run unaccounted.
    if (
      stored === "new" &&
      evse &&
      known === null &&
      eventType === "Updated" &&
      idToken === null &&
      !evse.occupied()
    ) {
      this.deps.log.warn(
        { station: this.stationId, transactionId: txId },
        "unknown running transaction without idToken; stopping it",
      );
      setImmediate(() => void this.requestStop(txId));
    }
    if (stored === "full")
      this.deps.log.warn(
        { station: this.stationId, transactionId: txId },
        "transaction holds too many events; answered, not stored",
      );
    // OCPP 2.0.1 sends totalCost only once charging has ended (I03); the running cost goes in CostUpdated (I02).
    const totalCost = eventType === "Ended" && tx ? chargerCostFigure(this.deps.totalCost, tx) : null;
    const cost = totalCost !== null ? { totalCost } : {};
    if (eventType === "Ended") this.runningCost.forget(this.stationId, txId);
    else if (stored === "new") this.sendRunningCost(txId);
    const token = tx?.idToken ?? idToken;
    if (!token) return cost;
    const decision = evse && evse.transactionId() === txId ? evse.decision() : null;
    const status = decision
      ? idTokenStatusOf(decision)
      : idTokenStatusFromList(token.type === "eMAID" ? this.deps.localList().get(token.idToken) : undefined);
    return { ...cost, idTokenInfo: { status } };
  }

  /** Logs and keeps a signed value left out of the ledger. */
  private noteRejected(f: MeterFigures, evseId: number, transactionId: string | null): void {
    if (!f.rejectedSignature || !f.rejectedCode) return;
    this.deps.countRefusedSignedValue?.(f.rejectedCode);
    const refusedReading = this.meterKeys.has(evseId);
    this.deps.log.warn(
      {
        station: this.stationId,
        evse: evseId,
        transactionId,
        code: f.rejectedCode,
        why: f.rejectedSignature,
        readingRefused: refusedReading,
      },
      refusedReading
        ? "signed meter value refused: the reading does not enter the ledger"
        : "signed meter value left out",
    );
    this.refusals.push({
      evseId,
      transactionId,
      code: f.rejectedCode,
      message: f.rejectedSignature,
      atMs: this.deps.clock.now(),
    });
    if (this.refusals.length > MAX_REFUSALS_KEPT) this.refusals.shift();
  }

  /**
   * After a stored event of an open transaction: the running cost goes to the charger in CostUpdated
   * when one is due (OcppRunningCost: risen, and not more often than the interval), once the answer
   * is out. A charger that answers NotImplemented is not sent any more until its next boot.
   */
  private sendRunningCost(transactionId: string): void {
    if (!this.deps.totalCost || this.costUpdatedUnsupported) return;
    void this.enqueue(async () => {
      const tx = this.deps.transactions.get(this.stationId, transactionId);
      if (!tx || !this.connected() || this.costUpdatedUnsupported) return;
      const update = this.runningCost.take(tx);
      if (!update) return;
      const r = await this.call("CostUpdated", { ...update });
      if (!r.ok && (r.code === "NotImplemented" || r.code === "NotSupported"))
        this.costUpdatedUnsupported = true;
    });
  }

  /** A transaction the charger authorized without us (offline, from its list or cache): the site authorizes it now with the chain it knows. */
  private adoptChargerAuthorized(evse: OcppEvse, token: { idToken: string; type: string }): void {
    const emaid = token.type === "eMAID" ? token.idToken : null;
    const chain = emaid ? this.deps.chains.chainOf(emaid) : null;
    this.deps.log.info(
      {
        station: this.stationId,
        evse: evse.config.evseId,
        idToken: token.idToken,
        chainKnown: chain !== null,
      },
      "transaction authorized by the charger itself; authorizing it here",
    );
    evse.announcePlug({
      certificateChain: chain ?? [],
      ...(emaid ? { claimedEmaid: emaid } : {}),
      proofOfPossession: "charger-secc",
    });
  }
}
