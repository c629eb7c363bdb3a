import { p256 } from "@noble/curves/nist.js";
import ocppRpc from "ocpp-rpc";
import type { Clock } from "@chargemesh/shared-model";
import { signOcmf } from "@chargemesh/shared-model";
import type { SimBattery } from "@chargemesh/hal";

type Payload = Record<string, any>;

export interface SimulatedCarSpec {
  /** The contract chain the car presents, PEM, leaf first (ISO 15118 Plug & Charge). */
  readonly certificatePem: string;
  readonly emaid: string;
  /** The most the car takes, W. */
  readonly maxW: number;
  /** The car's battery with its taper: it draws at most its acceptance and stops at its target. */
  readonly battery?: SimBattery;
}

export interface SimulatedOcppChargerOptions {
  /** The CSMS base URL, e.g. wss://host:port/ocpp (the station ID is appended). */
  readonly url: string;
  readonly stationId: string;
  /** Basic-auth password (profiles 1, 2). */
  readonly password?: string;
  /** TLS: the CA that signed the CSMS certificate; for profile 3 the station's own key and certificate (PEM). */
  readonly tls?: {
    readonly ca: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
  };
  readonly clock: Clock;
  /** How long the charger takes to apply a new charging profile (it answers then), ms of `clock`. */
  readonly reactionDelayMs?: number;
  /** Meter values while charging, every this many ms of `clock` (default 60 s). */
  readonly meterIntervalMs?: number;
  /** The certified meter's P-256 secret key: readings carry signed OCMF values. */
  readonly ocmfSecretKey?: Uint8Array;
  /** The charger's hardware limit, W. */
  readonly hardwareMaxW: number;
  /** Energy register at start, Wh. */
  readonly initialRegisterWh?: number;
  /** Transaction IDs are `<prefix>-tx-<n>` (default the station ID); a rebooted charger needs a new one. */
  readonly transactionIdPrefix?: string;
}

interface Profile {
  readonly id: number;
  readonly purpose: string;
  readonly limitW: number;
  readonly transactionId?: string;
}

interface RunningTx {
  readonly id: string;
  seqNo: number;
  car: SimulatedCarSpec;
  authorized: boolean;
  idToken: { idToken: string; type: string } | null;
  lastMeterMs: number;
}

interface QueuedEvent {
  readonly action: string;
  readonly payload: Payload;
}

/**
 * A simulated OCPP 2.0.1 charging station with one EVSE, written with `ocpp-rpc` in strict mode (every
 * message it sends or receives is validated against the official schemas), over a real WebSocket. It
 * behaves like a real charger where it matters here: the transaction starts at cable plug-in, Plug &
 * Charge Authorize with the car's chain, TxProfile/TxDefaultProfile/ChargingStationMaxProfile limits
 * (the draw never exceeds the composite limit, also while the CSMS is away), offline authorization
 * from its local list and cache, and a queue of transaction events replayed with `offline: true` after a
 * cut. Time moves only through `advance`.
 */
export class SimulatedOcppCharger {
  private client: InstanceType<typeof ocppRpc.RPCClient> | null = null;
  private online = false;
  private readonly profiles = new Map<string, Profile>();
  private readonly variables = new Map<string, string>();
  private localList = new Map<string, string>();
  private localListVersion = 0;
  private readonly authCache = new Map<string, string>();
  private tx: RunningTx | null = null;
  private txCounter = 0;
  private energyWms: number;
  private readonly queue: QueuedEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly delayed: Array<{ atMs: number; resolve: () => void }> = [];
  private lastAdvanceMs: number;
  private lastEvent: QueuedEvent | null = null;
  /** Every answer the CSMS gave to a TransactionEvent (tests check idTokenInfo is always there). */
  readonly transactionAnswers: Payload[] = [];
  /** The highest draw seen above the composite limit in force (0 when the charger never exceeded it), W. */
  maxExcessW = 0;
  /** Rejections by strict validation on this side (should stay empty). */
  readonly validationFailures: string[] = [];
  /** Every CostUpdated the CSMS sent (the running cost shown to the driver), in arrival order. */
  readonly costUpdates: Array<{ readonly totalCost: number; readonly transactionId: string }> = [];
  /** Every ChangeAvailability the CSMS sent (params as received, validated by strict mode), in arrival order. */
  readonly availabilityRequests: Payload[] = [];
  /** Every Reset the CSMS sent, in arrival order (the simulated charger answers and stays up). */
  readonly resetRequests: Payload[] = [];
  /** The EVSE's availability: an Inoperative EVSE starts no transaction (Unavailable). */
  private operative = true;
  /** An availability change answered Scheduled: applied when the running transaction ends. */
  private scheduledOperative: boolean | null = null;
  /** Fault injection: signed values carry a forged reading (register raised, signature left as it was). */
  private forgeSignedValuesWh = 0;

  private url: string;

  constructor(private readonly opts: SimulatedOcppChargerOptions) {
    this.url = opts.url;
    this.energyWms = (opts.initialRegisterWh ?? 0) * 3_600_000;
    this.lastAdvanceMs = opts.clock.now();
  }

  get stationId(): string {
    return this.opts.stationId;
  }

  registerWh(): number {
    return Math.floor(this.energyWms / 3_600_000);
  }

  /** Raises the energy register to `wh` if it is below (a meter whose register the site last saw higher). */
  setRegisterAtLeast(wh: number): void {
    this.energyWms = Math.max(this.energyWms, wh * 3_600_000);
  }

  /** The composite limit now: the lowest of the station maximum and the transaction's (or default) profile, W. */
  compositeLimitW(): number {
    let limit = this.opts.hardwareMaxW;
    const max = [...this.profiles.values()].find((p) => p.purpose === "ChargingStationMaxProfile");
    if (max) limit = Math.min(limit, max.limitW);
    const tx = this.tx;
    const txProfile = tx
      ? [...this.profiles.values()].find((p) => p.purpose === "TxProfile" && p.transactionId === tx.id)
      : undefined;
    const dflt = [...this.profiles.values()].find((p) => p.purpose === "TxDefaultProfile");
    const own = txProfile ?? dflt;
    if (own) limit = Math.min(limit, own.limitW);
    return Math.max(0, Math.floor(limit));
  }

  /** What the car draws now, W. */
  drawW(): number {
    const tx = this.tx;
    if (!tx || !tx.authorized) return 0;
    const carW = tx.car.battery ? Math.min(tx.car.maxW, tx.car.battery.acceptanceW()) : tx.car.maxW;
    return Math.min(carW, this.compositeLimitW());
  }

  variable(component: string, name: string): string | undefined {
    return this.variables.get(`${component}.${name}`);
  }

  localListStatus(emaid: string): string | undefined {
    return this.localList.get(emaid);
  }

  transactionId(): string | null {
    return this.tx?.id ?? null;
  }

  /** Whether the EVSE is Operative (takes cars) now. */
  isOperative(): boolean {
    return this.operative;
  }

  queuedEvents(): number {
    return this.queue.length;
  }

  /** CSMS calls this charger answers only once the clock reaches its reaction delay. */
  answersWaitingOnClock(): number {
    return this.delayed.length;
  }

  isOnline(): boolean {
    return this.online;
  }

  /** Connects; with `boot`, sends BootNotification and StatusNotification first (a power-up), else just replays its queue. */
  async connect(boot = true): Promise<void> {
    const client = new ocppRpc.RPCClient({
      endpoint: this.url,
      identity: this.opts.stationId,
      protocols: ["ocpp2.0.1"],
      strictMode: true,
      reconnect: false,
      ...(this.opts.password ? { password: this.opts.password } : {}),
      ...(this.opts.tls
        ? { wsOpts: { ca: this.opts.tls.ca, cert: this.opts.tls.cert, key: this.opts.tls.key } }
        : {}),
    } as never);
    client.on("strictValidationFailure", (e: { error?: Error }) =>
      this.validationFailures.push(String(e.error?.message ?? e)),
    );
    client.on("close", () => {
      if (this.client === client) this.online = false;
    });
    this.register(client);
    await client.connect();
    this.client = client;
    this.online = true;
    if (boot) {
      const r = (await client.call("BootNotification", {
        reason: "PowerUp",
        chargingStation: { model: "SimCharger", vendorName: "chargemesh" },
      })) as Payload;
      if (r.status !== "Accepted") throw new Error(`boot not accepted: ${r.status}`);
      await client.call("StatusNotification", {
        timestamp: this.iso(),
        connectorStatus: this.tx ? "Occupied" : this.operative ? "Available" : "Unavailable",
        evseId: 1,
        connectorId: 1,
      });
    }
    await this.flush();
  }

  /**
   * Fault injection (what a tampered charger or a man in the middle would send): while `raiseWh` is
   * above 0, every signed value names a register `raiseWh` higher than the meter's, in the OCMF
   * payload and the plain value alike, under the meter's signature of the true reading. 0 ends it.
   */
  forgeSignedValues(raiseWh: number): void {
    this.forgeSignedValuesWh = Math.max(0, Math.floor(raiseWh));
  }

  /** Points the next `connect` at another CSMS address (a restarted controller on a new port). */
  reconnectTo(url: string): void {
    this.url = url;
  }

  /** Cuts the link as a network fault would (no close handshake); events queue until `connect`. */
  async cut(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.online = false;
    await c?.close({ force: true }).catch(() => undefined);
  }

  /** Catches up with the clock (the caller moved it by `_ms`): energy flows at the composite limit, meter values fall due, delayed answers go out. */
  async advance(_ms?: number): Promise<void> {
    const now = this.opts.clock.now();
    const dt = Math.max(0, now - this.lastAdvanceMs);
    const draw = this.drawW();
    this.maxExcessW = Math.max(this.maxExcessW, draw - this.compositeLimitW());
    this.energyWms += draw * dt;
    this.tx?.car.battery?.charge(draw, dt);
    this.lastAdvanceMs = now;
    for (const d of this.delayed.filter((d) => d.atMs <= now)) d.resolve();
    this.delayedPrune(now);
    const tx = this.tx;
    if (tx && tx.authorized && now - tx.lastMeterMs >= (this.opts.meterIntervalMs ?? 60_000)) {
      tx.lastMeterMs = now;
      this.event("Updated", "MeterValuePeriodic", {});
    }
    await this.flush();
  }

  /** A car plugs in: the transaction starts (EVConnected), then Plug & Charge Authorize, or the local list when offline. */
  async plug(car: SimulatedCarSpec): Promise<void> {
    if (this.tx) throw new Error("EVSE occupied");
    if (!this.operative) return; // Unavailable: the car is plugged but no transaction starts
    const id = `${this.opts.transactionIdPrefix ?? this.opts.stationId}-tx-${++this.txCounter}`;
    this.tx = { id, seqNo: 0, car, authorized: false, idToken: null, lastMeterMs: this.opts.clock.now() };
    this.event("Started", "CablePluggedIn", { evse: { id: 1, connectorId: 1 } }, "EVConnected");
    await this.flush();
    const idToken = { idToken: car.emaid, type: "eMAID" };
    let status: string;
    if (this.online && this.client) {
      const r = (await this.client.call("Authorize", {
        idToken,
        certificate: car.certificatePem,
      })) as Payload;
      status = r.idTokenInfo?.status ?? "Unknown";
      this.authCache.set(car.emaid, status);
    } else {
      const offlineOk = this.variable("AuthCtrlr", "LocalAuthorizeOffline") === "true";
      status = offlineOk
        ? (this.localList.get(car.emaid) ?? this.authCache.get(car.emaid) ?? "Unknown")
        : "Unknown";
    }
    if (status !== "Accepted" || this.tx?.id !== id) return;
    this.tx.authorized = true;
    this.tx.idToken = idToken;
    this.event("Updated", "Authorized", { idToken }, "Charging");
    await this.flush();
  }

  /** The car leaves: the transaction ends with its final meter value. */
  async unplug(): Promise<void> {
    this.endTransaction("EVDeparted", "EVDisconnected");
    await this.flush();
  }

  /** Sends the last transaction event again, byte for byte the same (what a charger does after a lost answer). */
  async repeatLastEvent(): Promise<void> {
    if (!this.lastEvent) return;
    this.queue.push(this.lastEvent);
    await this.flush();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  // ---- internals ----

  private iso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }

  private delayedPrune(now: number): void {
    for (let i = this.delayed.length - 1; i >= 0; i--)
      if (this.delayed[i]!.atMs <= now) this.delayed.splice(i, 1);
  }

  private afterReaction(): Promise<void> {
    const ms = this.opts.reactionDelayMs ?? 0;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.delayed.push({ atMs: this.opts.clock.now() + ms, resolve }));
  }

  private meterValue(): Payload[] {
    const wh = this.registerWh();
    const forged = this.opts.ocmfSecretKey ? this.forgeSignedValuesWh : 0;
    const energy: Payload = {
      value: wh + forged,
      measurand: "Energy.Active.Import.Register",
      unitOfMeasure: { unit: "Wh" },
    };
    if (this.opts.ocmfSecretKey) {
      let ocmf = signOcmf(
        {
          FV: "1.0",
          GI: "chargemesh SimCharger",
          GS: this.opts.stationId,
          PG: `T${this.tx?.seqNo ?? 0}`,
          RD: [{ TM: this.iso(), RV: wh, RU: "Wh", ST: "G" }],
        },
        this.opts.ocmfSecretKey,
      );
      if (forged > 0)
        ocmf = new TextEncoder().encode(
          new TextDecoder().decode(ocmf).replace(`"RV":${wh},`, `"RV":${wh + forged},`),
        );
      energy.signedMeterValue = {
        signedMeterData: Buffer.from(ocmf).toString("base64"),
        signingMethod: "ECDSA-secp256r1-SHA256",
        encodingMethod: "OCMF",
        publicKey: Buffer.from(p256.getPublicKey(this.opts.ocmfSecretKey, false)).toString("base64"),
      };
    }
    return [
      {
        timestamp: this.iso(),
        sampledValue: [
          energy,
          { value: this.drawW(), measurand: "Power.Active.Import", unitOfMeasure: { unit: "W" } },
        ],
      },
    ];
  }

  private event(
    eventType: "Started" | "Updated" | "Ended",
    triggerReason: string,
    extra: Payload,
    chargingState?: string,
    stoppedReason?: string,
  ): void {
    const tx = this.tx;
    if (!tx) return;
    const payload: Payload = {
      eventType,
      timestamp: this.iso(),
      triggerReason,
      seqNo: tx.seqNo++,
      transactionInfo: {
        transactionId: tx.id,
        ...(chargingState ? { chargingState } : {}),
        ...(stoppedReason ? { stoppedReason } : {}),
      },
      meterValue: this.meterValue(),
      ...(this.online ? {} : { offline: true }),
      ...extra,
    };
    this.queue.push({ action: "TransactionEvent", payload });
  }

  private endTransaction(triggerReason: string, stoppedReason: string): void {
    if (!this.tx) return;
    this.event("Ended", triggerReason, {}, "Idle", stoppedReason);
    this.tx = null;
    if (this.scheduledOperative !== null) {
      const operative = this.scheduledOperative;
      this.scheduledOperative = null;
      setImmediate(() => void this.becomeOperative(operative));
    }
  }

  /** Applies an availability change and reports the connector's new status (when online). */
  private async becomeOperative(operative: boolean): Promise<void> {
    const changed = this.operative !== operative;
    this.operative = operative;
    if (!changed || !this.online || !this.client) return;
    await this.client
      .call("StatusNotification", {
        timestamp: this.iso(),
        connectorStatus: this.tx ? "Occupied" : operative ? "Available" : "Unavailable",
        evseId: 1,
        connectorId: 1,
      })
      .catch(() => undefined);
  }

  /** Sends queued events in order while online; an event stays queued until the CSMS answered it. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.online && this.client && this.queue.length > 0) {
        const next = this.queue[0]!;
        let answer: Payload;
        try {
          answer = (await this.client.call(next.action, next.payload)) as Payload;
        } catch {
          return; // link gone (or the CSMS errored): keep it queued, a reconnect replays it
        }
        this.queue.shift();
        this.lastEvent = next;
        if (next.action === "TransactionEvent") this.onTransactionAnswer(next.payload, answer);
      }
    });
    return this.flushing;
  }

  private onTransactionAnswer(sent: Payload, answer: Payload): void {
    this.transactionAnswers.push(answer);
    const status = answer.idTokenInfo?.status as string | undefined;
    const token =
      (sent.idToken as { idToken: string } | undefined)?.idToken ?? this.tx?.idToken?.idToken ?? null;
    if (status && token) this.authCache.set(token, status);
    const tx = this.tx;
    if (
      status &&
      status !== "Accepted" &&
      tx &&
      tx.id === sent.transactionInfo.transactionId &&
      this.variable("TxCtrlr", "StopTxOnInvalidId") === "true"
    ) {
      this.endTransaction("Deauthorized", "DeAuthorized");
    }
  }

  private register(client: InstanceType<typeof ocppRpc.RPCClient>): void {
    const on = (method: string, fn: (params: Payload) => Promise<Payload>) =>
      client.handle(method, (({ params }: { params?: Payload }) => fn(params ?? {})) as never);
    on("SetVariables", async (params) => ({
      setVariableResult: (params.setVariableData as Payload[]).map((d) => {
        this.variables.set(`${d.component.name}.${d.variable.name}`, d.attributeValue);
        return { attributeStatus: "Accepted", component: d.component, variable: d.variable };
      }),
    }));
    on("GetLocalListVersion", async () => ({ versionNumber: this.localListVersion }));
    on("SendLocalList", async (params) => {
      if (params.updateType === "Differential" && params.versionNumber <= this.localListVersion)
        return { status: "VersionMismatch" };
      const next = params.updateType === "Full" ? new Map<string, string>() : new Map(this.localList);
      for (const e of (params.localAuthorizationList ?? []) as Payload[]) {
        if (e.idTokenInfo) next.set(e.idToken.idToken, e.idTokenInfo.status);
        else next.delete(e.idToken.idToken);
      }
      this.localList = next;
      this.localListVersion = params.versionNumber;
      return { status: "Accepted" };
    });
    on("SetChargingProfile", async (params) => {
      const p = params.chargingProfile as Payload;
      const limitW = p.chargingSchedule[0].chargingSchedulePeriod[0].limit as number;
      if (p.chargingSchedule[0].chargingRateUnit !== "W") return { status: "Rejected" };
      if (p.chargingProfilePurpose === "TxProfile" && p.transactionId !== this.tx?.id)
        return { status: "Rejected" };
      await this.afterReaction();
      this.profiles.set(`${p.chargingProfilePurpose}:${params.evseId}`, {
        id: p.id,
        purpose: p.chargingProfilePurpose,
        limitW,
        ...(p.transactionId ? { transactionId: p.transactionId } : {}),
      });
      return { status: "Accepted" };
    });
    on("RequestStopTransaction", async (params) => {
      if (params.transactionId !== this.tx?.id) return { status: "Rejected" };
      setImmediate(() => {
        this.endTransaction("RemoteStop", "Remote");
        void this.flush();
      });
      return { status: "Accepted" };
    });
    on("GetTransactionStatus", async (params) => ({
      messagesInQueue: this.queue.some(
        (q) => q.payload.transactionInfo?.transactionId === params.transactionId,
      ),
      ...(params.transactionId ? { ongoingIndicator: this.tx?.id === params.transactionId } : {}),
    }));
    on("CostUpdated", async (params) => {
      this.costUpdates.push({ totalCost: params.totalCost, transactionId: params.transactionId });
      return {};
    });
    on("ChangeAvailability", async (params) => {
      this.availabilityRequests.push(params);
      const evseId = (params.evse as { id: number } | undefined)?.id ?? 0;
      if (evseId !== 0 && evseId !== 1) return { status: "Rejected" };
      const operative = params.operationalStatus === "Operative";
      // A transaction runs: the change waits for its end (OCPP G03: answered Scheduled).
      if (this.tx && !operative) {
        this.scheduledOperative = operative;
        return { status: "Scheduled" };
      }
      this.scheduledOperative = null;
      setImmediate(() => void this.becomeOperative(operative));
      return { status: "Accepted" };
    });
    on("Reset", async (params) => {
      this.resetRequests.push(params);
      return { status: params.type === "OnIdle" && this.tx ? "Scheduled" : "Accepted" };
    });
    on("ClearChargingProfile", async () => ({ status: "Accepted" }));
    on("TriggerMessage", async (params) => {
      const evseId = (params.evse as { id: number } | undefined)?.id ?? 1;
      if (params.requestedMessage !== "MeterValues" || evseId !== 1) return { status: "NotImplemented" };
      // The triggered message follows the answer (F06.FR.05).
      setImmediate(
        () =>
          void this.client
            ?.call("MeterValues", { evseId: 1, meterValue: this.meterValue() })
            .catch(() => undefined),
      );
      return { status: "Accepted" };
    });
  }
}
