import type { AuthorizationDecision, MeterId } from "@chargemesh/shared-model";
import type {
  Meter,
  MeterReadResult,
  PlugEvent,
  PowerStage,
  PowerStageStatus,
  VehicleAcceptance,
  VehicleLink,
} from "@chargemesh/hal";

/** What an EVSE asks of its station's connection (implemented by `OcppStation`). */
export interface EvsePort {
  connected(): boolean;
  /** Installs a TxProfile of `limitW` for the transaction; resolves true once the charger accepted it. */
  setTransactionLimit(evseId: number, transactionId: string, limitW: number): Promise<boolean>;
  /** RequestStopTransaction; resolves true when the charger accepted. */
  requestStop(transactionId: string): Promise<boolean>;
}

export interface OcppEvseConfig {
  readonly stationId: string;
  readonly evseId: number;
  readonly meterId: MeterId;
  readonly maxW: number;
  readonly minW: number;
  /** How long the charger takes to apply a new charging profile, ms (what the power manager waits for). */
  readonly reactionDelayMs: number;
}

interface Reading {
  readonly registerWh: number;
  readonly atMs: number;
  readonly signedPayload: Uint8Array | null;
}

interface EvseTransaction {
  readonly id: string;
  /** The reading at transaction start: what the session's begin record must carry. */
  start: Reading | null;
  ended: boolean;
  /** The orchestrator's decision on the session this transaction opened. */
  decision: AuthorizationDecision | null;
}

/**
 * One EVSE of an OCPP station as hal drivers: its `Meter` (the charger's meter values, with the
 * certified meter's OCMF payload when it signs), its `PowerStage` (limits become TxProfile charging
 * profiles, acknowledged by the charger's answer) and its `VehicleLink` (Authorize and transactions
 * become plug and unplug). The station feeds it; it never throws at the orchestrator: an unreachable
 * charger is a stage state and a meter that repeats its last reading.
 */
export class OcppEvse {
  readonly meter: Meter;
  readonly stage: PowerStage;
  readonly link: VehicleLink;

  private latest: Reading | null = null;
  private powerW = 0;
  private tx: EvseTransaction | null = null;
  private requestedW = 0;
  private appliedW = 0;
  private contactor = false;
  private faultCode: string | null = null;
  private meterClosed = false;
  private readonly statusListeners = new Set<(s: PowerStageStatus) => void>();
  private readonly plugListeners = new Set<(e: PlugEvent) => void>();
  private readonly unplugListeners = new Set<() => void>();
  private plugAnnounced = false;
  private pendingDecision: AuthorizationDecision | null = null;
  /** The orchestrator opened its session here (closed the contactor): readings flow live. */
  private sessionOpen = false;
  private limitWaiters: Array<() => void> = [];
  /** Transactions whose session the site ended (bounded, newest kept). */
  private readonly sessionOverTx = new Set<string>();

  constructor(
    readonly config: OcppEvseConfig,
    private readonly port: EvsePort,
  ) {
    this.meter = {
      id: config.meterId,
      read: async (): Promise<MeterReadResult> => this.read(),
      close: async () => void (this.meterClosed = true),
    };
    const evse = this;
    this.stage = {
      maxW: config.maxW,
      minW: config.minW,
      reactionDelayMs: config.reactionDelayMs,
      setLimit: (w) => this.setLimit(w),
      setContactor: (closed) => this.setContactor(closed),
      status: () => this.status(),
      onStatus: (l) => {
        this.statusListeners.add(l);
        return () => this.statusListeners.delete(l);
      },
      close: async () => {},
    };
    this.link = {
      signChallenge: async () => {
        throw new Error("proof of possession is done by the charger's SECC, not through OCPP");
      },
      acceptance: (): VehicleAcceptance | null => null,
      offerPower: () => {},
      onPlug: (l) => {
        evse.plugListeners.add(l);
        return () => evse.plugListeners.delete(l);
      },
      onUnplug: (l) => {
        evse.unplugListeners.add(l);
        return () => evse.unplugListeners.delete(l);
      },
      plugged: () => evse.plugAnnounced,
      close: async () => {},
    };
  }

  /** The transaction the charger runs on this EVSE now, if any. */
  transactionId(): string | null {
    return this.tx && !this.tx.ended ? this.tx.id : null;
  }

  /** True while a plug is announced to the orchestrator and not yet taken back. */
  occupied(): boolean {
    return this.plugAnnounced;
  }

  // ---- fed by the station ----

  /** The station connected or dropped: the stage reports it, the meter keeps its last reading. */
  connectionChanged(): void {
    this.emitStatus();
  }

  /** True once the station reported a register for this EVSE (in MeterValues or a TransactionEvent). */
  hasReading(): boolean {
    return this.latest !== null;
  }

  /** A meter reading from MeterValues or TransactionEvent (registers only grow; a lower one is ignored). */
  reading(
    registerWh: number | null,
    powerW: number | null,
    signedPayload: Uint8Array | null,
    atMs: number,
    transactionId: string | null,
  ): void {
    if (powerW !== null) this.powerW = Math.max(0, powerW);
    if (registerWh === null) return this.emitStatus();
    const r: Reading = { registerWh, atMs, signedPayload };
    const tx = this.tx;
    if (tx && tx.id === transactionId && (tx.start === null || registerWh < tx.start.registerWh))
      tx.start = r;
    if (!this.latest || registerWh >= this.latest.registerWh) this.latest = r;
    this.emitStatus();
  }

  /** The charger runs (or replays) transaction `id` here; a new ID ends the previous one. */
  transactionSeen(id: string): void {
    if (this.tx?.id === id) return;
    if (this.tx && !this.tx.ended) this.transactionEnded(this.tx.id);
    this.tx = { id, start: null, ended: false, decision: this.pendingDecision };
    this.pendingDecision = null;
  }

  /** The orchestrator decided on the session a plug here opened (kept with the transaction it concerns). */
  recordDecision(decision: AuthorizationDecision): void {
    if (this.tx && !this.tx.ended) this.tx.decision = decision;
    else this.pendingDecision = decision;
  }

  /** The decision on the transaction running here, if the orchestrator made one. */
  decision(): AuthorizationDecision | null {
    return this.tx && !this.tx.ended ? this.tx.decision : this.pendingDecision;
  }

  /** A transaction runs here that no plug announced and no decision covers (the charger authorized it alone). */
  awaitingAdoption(): boolean {
    return (
      this.tx !== null &&
      !this.tx.ended &&
      !this.plugAnnounced &&
      this.tx.decision === null &&
      !this.sessionOverTx.has(this.tx.id)
    );
  }

  /** The site already ended the session of transaction `id` (it is being stopped): it is never adopted as a new one. */
  sessionOver(id: string): void {
    this.sessionOverTx.add(id);
    if (this.sessionOverTx.size > 16) this.sessionOverTx.delete(this.sessionOverTx.values().next().value!);
  }

  /** Announces a plug (the charger's Authorize, or a transaction it authorized on its own). */
  announcePlug(event: PlugEvent): void {
    if (this.plugAnnounced) return;
    this.plugAnnounced = true;
    for (const l of this.plugListeners) l(event);
  }

  /** The transaction ended (Ended event, or the charger says it is over): unplug, once the session began. */
  transactionEnded(id: string): void {
    const tx = this.tx;
    if (!tx || tx.id !== id || tx.ended) return;
    tx.ended = true;
    this.powerW = 0;
    if (this.sessionOpen) this.announceUnplug();
  }

  /**
   * Takes up transaction `id`, which a previous controller process ran here and whose session the
   * orchestrator continues: the plug counts as announced and the session as open (no new plug, no
   * adoption), the decision answers its events, and the meter repeats `registerWh` (the highest the
   * log holds) until the charger reports again.
   */
  resumeTransaction(
    id: string,
    decision: AuthorizationDecision | null,
    registerWh: number | null,
    atMs: number,
  ): void {
    this.tx = { id, start: null, ended: false, decision };
    this.plugAnnounced = true;
    this.sessionOpen = true;
    this.contactor = true;
    if (registerWh !== null && (!this.latest || registerWh > this.latest.registerWh))
      this.latest = { registerWh, atMs, signedPayload: null };
    this.emitStatus();
  }

  /** The orchestrator refused the session: the plug is taken back. */
  sessionRefused(): void {
    this.announceUnplug();
  }

  faulted(code: string | null): void {
    this.faultCode = code;
    this.emitStatus();
  }

  /** Resolves once a limit is installed for the running transaction, or after `timeoutMs`. */
  limitInstalled(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.limitWaiters.push(done);
    });
  }

  // ---- hal drivers ----

  private read(): MeterReadResult {
    if (this.meterClosed) return { ok: false, fault: "meter_disconnected", message: "meter closed" };
    const tx = this.tx;
    const beforeBegin = this.plugAnnounced && !this.sessionOpen;
    const r = beforeBegin && tx?.start ? tx.start : this.latest;
    if (!r)
      return {
        ok: false,
        fault: "meter_disconnected",
        message: `station ${this.config.stationId} has sent no meter value yet`,
      };
    const powerW = beforeBegin ? 0 : this.powerW;
    return {
      ok: true,
      reading: {
        registerWh: r.registerWh,
        powerW,
        atMs: r.atMs,
        ...(r.signedPayload ? { signedPayload: r.signedPayload } : {}),
      },
    };
  }

  private async setLimit(limitW: number): Promise<void> {
    if (!Number.isSafeInteger(limitW) || limitW < 0) throw new Error(`invalid limit ${limitW} W`);
    const w = Math.min(limitW, this.config.maxW);
    this.requestedW = w;
    const txId = this.transactionId();
    if (txId !== null) {
      if (!this.port.connected()) throw new Error(`station ${this.config.stationId} is unreachable`);
      const accepted = await this.port.setTransactionLimit(this.config.evseId, txId, w);
      if (!accepted) throw new Error(`station ${this.config.stationId} refused the charging profile`);
      for (const done of this.limitWaiters.splice(0)) done();
    }
    // Without a transaction there is nothing to profile: the next one starts under the TxDefaultProfile.
    this.appliedW = w;
    this.emitStatus();
  }

  private async setContactor(closed: boolean): Promise<void> {
    this.contactor = closed;
    const tx = this.tx;
    if (closed) {
      this.sessionOpen = true;
      this.emitStatus();
      if (tx?.ended) this.announceUnplug();
      return;
    }
    this.emitStatus();
    if (!closed && tx && !tx.ended && this.port.connected()) await this.port.requestStop(tx.id);
  }

  private status(): PowerStageStatus {
    const state = !this.port.connected()
      ? "unreachable"
      : this.faultCode
        ? "faulted"
        : this.tx && !this.tx.ended && this.sessionOpen
          ? "delivering"
          : this.tx && !this.tx.ended
            ? "ready"
            : "idle";
    return {
      state,
      appliedLimitW: this.appliedW,
      requestedLimitW: this.requestedW,
      measuredW: this.powerW,
      contactorClosed: this.contactor,
      ...(this.faultCode ? { fault: this.faultCode } : {}),
    };
  }

  private emitStatus(): void {
    const s = this.status();
    for (const l of this.statusListeners) l(s);
  }

  private announceUnplug(): void {
    this.pendingDecision = null;
    if (!this.plugAnnounced) return;
    this.plugAnnounced = false;
    this.sessionOpen = false;
    for (const l of this.unplugListeners) l();
  }
}
