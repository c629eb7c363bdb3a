import { EventEmitter } from "node:events";
import type {
  Clock,
  ContractId,
  RandomSource,
  SessionId,
  SiteId,
  StallId,
  TechnicianId,
} from "@chargemesh/shared-model";
import { RecordStatus, newSessionId } from "@chargemesh/shared-model";
import type { Meter, MeterReading, PlugEvent, PowerStage, VehicleLink } from "@chargemesh/hal";
import type { Authorizer } from "../auth/authorizer.js";
import type { RiskCaps } from "@chargemesh/shared-model";
import type { StallConfig } from "../config/siteConfig.js";
import type { LedgerWriter } from "../ledger/ledgerWriter.js";
import type { SessionJournal } from "./sessionJournal.js";
import type { JournalEntry, StopReason } from "@chargemesh/shared-model";
import { TERMINAL_SITE_STATES } from "@chargemesh/shared-model";

export interface StallHardware {
  readonly config: StallConfig;
  readonly meter: Meter;
  readonly stage: PowerStage;
  readonly link: VehicleLink;
  /**
   * True when the hardware still runs this session and takes it up again (an OCPP charger continuing
   * its transaction across a controller restart): recovery then keeps the session charging instead
   * of closing it. Absent: every open session is closed by recovery.
   */
  readonly resumeSession?: (sessionId: SessionId) => boolean;
}

/** How the orchestrator tells the power manager which stalls are charging. */
export interface PowerCoordinator {
  stallCharging(stallId: StallId, charging: boolean): void;
  /** Re-plans and applies setpoints safely; resolves when the plan is applied. */
  replan(reason: string): Promise<void>;
}

export type StallPhase = "available" | "authorizing" | "charging" | "stopping" | "out_of_service";

export interface StallView {
  readonly stallId: StallId;
  readonly phase: StallPhase;
  readonly sessionId: SessionId | null;
  readonly powerW: number;
  readonly registerWh: number;
  readonly meterFault: string | null;
}

export interface TelemetryFrame {
  readonly atMs: number;
  readonly stallId: StallId;
  readonly sessionId: SessionId | null;
  readonly powerW: number;
  readonly registerWh: number;
  readonly sessionEnergyWh: number;
  readonly socPermille: number | null;
}

export interface OrchestratorEvents {
  telemetry: [TelemetryFrame];
  session: [JournalEntry];
  stall: [StallView];
}

export interface OrchestratorDeps {
  readonly siteId: SiteId;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly authorizer: Authorizer;
  readonly journal: SessionJournal;
  readonly ledger: LedgerWriter;
  readonly power: PowerCoordinator;
  readonly checkpointIntervalMs: number;
  /** Signs a session token for the car (site key in the secure element); absent: no tokens. */
  readonly issueToken?: (claims: {
    sessionId: SessionId;
    contractId: ContractId;
    stallId: StallId;
    issuedAtMs: number;
    expiresAtMs: number;
  }) => Promise<string>;
  /** Token lifetime; tokens are refreshed after half of it while charging (default 10 min). */
  readonly tokenTtlMs?: number;
  readonly log?: {
    info(o: object, m?: string): void;
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
  };
}

interface ActiveSession {
  readonly sessionId: SessionId;
  readonly contractId: ContractId | null;
  readonly caps: RiskCaps;
  readonly beginRegisterWh: number;
  lastCheckpointMs: number;
  tokenIssuedAtMs: number;
}

interface StallRuntime {
  readonly hw: StallHardware;
  phase: StallPhase;
  active: ActiveSession | null;
  pending: Array<
    | { kind: "plug"; event: PlugEvent }
    | { kind: "unplug" }
    | { kind: "stop"; reason: StopReason; by: TechnicianId | null }
  >;
  lastPowerW: number;
  lastRegisterWh: number;
  meterFault: string | null;
}

const DAY_MS = 86_400_000;

/** A certified meter's signed payload goes into a record only when it signed exactly that register. */
function meterPayloadFor(reading: MeterReading, registerWh: number): Uint8Array | null {
  return reading.signedPayload !== undefined && reading.registerWh === registerWh
    ? reading.signedPayload
    : null;
}

/**
 * Runs every stall's session lifecycle: plugged -> authorizing -> charging -> stopping -> completed
 * (or rejected/failed). Transitions are idempotent and driven by `tick()`, which the daemon calls on
 * its clock; each fact is durable in the journal or ledger before the next step acts on it.
 */
export class SessionOrchestrator extends EventEmitter<OrchestratorEvents> {
  private readonly stalls = new Map<StallId, StallRuntime>();
  private running: Promise<void> = Promise.resolve();
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly deps: OrchestratorDeps,
    hardware: readonly StallHardware[],
  ) {
    super();
    const outOfService = deps.journal.outOfService();
    for (const hw of hardware) {
      const rt: StallRuntime = {
        hw,
        phase: outOfService.has(hw.config.id) ? "out_of_service" : "available",
        active: null,
        pending: [],
        lastPowerW: 0,
        lastRegisterWh: deps.ledger.lastRegisterWh(hw.config.meterId),
        meterFault: null,
      };
      this.stalls.set(hw.config.id, rt);
      this.unsubscribers.push(hw.link.onPlug((event) => rt.pending.push({ kind: "plug", event })));
      this.unsubscribers.push(hw.link.onUnplug(() => rt.pending.push({ kind: "unplug" })));
    }
  }

  /**
   * Closes sessions a crash left open, reconciling the journal with the signed ledger first: a begin
   * or end record the ledger holds but the journal missed is adopted (never written twice); a session
   * with a begin and no end ends at the meter's present reading, flagged `recovered`, unless its
   * hardware still runs it (`resumeSession`): then it continues, charging; one that never began is
   * marked failed. Returns the sessions it closed.
   */
  async recover(): Promise<JournalEntry[]> {
    const closed: JournalEntry[] = [];
    for (const entry of this.deps.journal.unfinished()) {
      const rt = this.stalls.get(entry.stallId);
      if (!rt) continue;
      const records = this.deps.ledger.sessionRecords(entry.sessionId);
      const beginRec = records.find((r) => r.kind === "begin");
      const endRec = records.find((r) => r.kind === "end");
      const begin =
        entry.begin ??
        (beginRec ? { meterId: beginRec.meterId, seq: beginRec.seq, registerWh: beginRec.registerWh } : null);
      if (begin === null) {
        await this.deps.journal.update(entry.sessionId, {
          state: "failed",
          endedAtMs: this.deps.clock.now(),
          stopReason: "controller_restart",
        });
      } else if (endRec) {
        await this.deps.journal.update(entry.sessionId, {
          state: "completed",
          begin,
          end: { meterId: endRec.meterId, seq: endRec.seq, registerWh: endRec.registerWh },
          endedAtMs: endRec.meterTimeMs,
          stopReason: entry.stopReason ?? "controller_restart",
        });
      } else if (
        entry.state === "charging" &&
        entry.begin !== null &&
        rt.hw.resumeSession?.(entry.sessionId)
      ) {
        rt.active = {
          sessionId: entry.sessionId,
          contractId: entry.contractId,
          caps: entry.authorization?.accepted ? entry.authorization.caps : {},
          beginRegisterWh: begin.registerWh,
          lastCheckpointMs: this.deps.clock.now(),
          tokenIssuedAtMs: 0,
        };
        rt.phase = "charging";
        this.deps.power.stallCharging(rt.hw.config.id, true);
        this.deps.log?.info(
          { sessionId: entry.sessionId, stall: rt.hw.config.id },
          "session resumed after restart",
        );
        continue;
      } else {
        if (entry.begin === null)
          await this.deps.journal.update(entry.sessionId, { state: "charging", begin });
        rt.active = {
          sessionId: entry.sessionId,
          contractId: entry.contractId,
          caps: {},
          beginRegisterWh: begin.registerWh,
          lastCheckpointMs: 0,
          tokenIssuedAtMs: 0,
        };
        await this.writeEnd(rt, "controller_restart", null, RecordStatus.recovered);
      }
      const after = this.deps.journal.get(entry.sessionId);
      if (after) closed.push(after);
    }
    return closed;
  }

  /** One step of the control loop; calls are serialized. Never throws: failures become faults. */
  tick(): Promise<void> {
    this.running = this.running
      .then(() => this.tickNow())
      .catch((e) => this.deps.log?.error({ err: String(e) }, "tick failed"));
    return this.running;
  }

  /** A technician's stop: the session ends with reason technician_stop, recorded with who did it. */
  requestStop(stallId: StallId, reason: StopReason, by: TechnicianId | null): boolean {
    const rt = this.stalls.get(stallId);
    if (!rt || rt.active === null) return false;
    rt.pending.push({ kind: "stop", reason, by });
    return true;
  }

  /** Takes a stall out of service (stopping its session) or returns it; recorded in the journal. */
  async setOutOfService(
    stallId: StallId,
    outOfService: boolean,
    by: TechnicianId,
    note: string,
  ): Promise<boolean> {
    const rt = this.stalls.get(stallId);
    if (!rt) return false;
    await this.deps.journal.recordTechnicianAction({
      at: this.deps.clock.now(),
      technicianId: by,
      action: outOfService ? "out_of_service" : "return_to_service",
      stallId,
      sessionId: rt.active?.sessionId ?? null,
      note,
    });
    if (outOfService) {
      if (rt.active) rt.pending.push({ kind: "stop", reason: "technician_stop", by });
      else rt.phase = "out_of_service";
    } else if (rt.phase === "out_of_service") {
      rt.phase = "available";
    }
    this.emit("stall", this.view(rt));
    return true;
  }

  stallViews(): StallView[] {
    return [...this.stalls.values()].map((rt) => this.view(rt));
  }

  activeSessionOf(stallId: StallId): SessionId | null {
    return this.stalls.get(stallId)?.active?.sessionId ?? null;
  }

  /** Waits for the current tick to finish and detaches from the hardware. */
  async close(): Promise<void> {
    await this.running;
    for (const u of this.unsubscribers) u();
  }

  private view(rt: StallRuntime): StallView {
    return {
      stallId: rt.hw.config.id,
      phase: rt.phase,
      sessionId: rt.active?.sessionId ?? null,
      powerW: rt.lastPowerW,
      registerWh: rt.lastRegisterWh,
      meterFault: rt.meterFault,
    };
  }

  private async tickNow(): Promise<void> {
    let replan: string | null = null;
    for (const rt of this.stalls.values()) {
      while (rt.pending.length > 0) {
        const ev = rt.pending.shift()!;
        if (ev.kind === "plug") {
          if (rt.phase === "available" && (await this.startSession(rt, ev.event))) replan = "plug-in";
        } else if (ev.kind === "unplug") {
          if (rt.active) {
            await this.stop(rt, "unplugged", null);
            replan = "unplug";
          }
        } else if (rt.active) {
          await this.stop(rt, ev.reason, ev.by);
          if (ev.reason === "technician_stop" && ev.by !== null && rt.phase === "available") {
            const oos = this.deps.journal.outOfService().get(rt.hw.config.id);
            if (oos && oos.action === "out_of_service") rt.phase = "out_of_service";
          }
          replan = "stop";
        }
      }
      if (rt.active && rt.phase === "charging") {
        const stopped = await this.meterStep(rt);
        if (stopped) replan = "session-end";
      } else {
        await this.idleRead(rt);
      }
    }
    if (replan) await this.deps.power.replan(replan);
  }

  private async idleRead(rt: StallRuntime): Promise<void> {
    const r = await rt.hw.meter.read();
    if (r.ok) {
      rt.lastPowerW = r.reading.powerW;
      rt.meterFault = null;
    } else {
      rt.meterFault = r.fault;
    }
  }

  private async startSession(rt: StallRuntime, plug: PlugEvent): Promise<boolean> {
    const { clock, random, journal, authorizer } = this.deps;
    const now = clock.now();
    // IDs are unique without coordination; a collision (a random source that repeated) gets a new ID.
    let sessionId = newSessionId(this.deps.siteId, now, (n) => random.bytes(n));
    for (let i = 0; journal.get(sessionId) !== null; i++) {
      if (i >= 8) throw new Error("session IDs keep colliding: the random source repeats");
      sessionId = newSessionId(this.deps.siteId, now + i + 1, (n) => random.bytes(n));
    }
    const base: JournalEntry = {
      sessionId,
      stallId: rt.hw.config.id,
      meterId: rt.hw.config.meterId,
      startedAtMs: now,
      state: "authorizing",
      contractId: null,
      authorization: null,
      begin: null,
      end: null,
      endedAtMs: null,
      stopReason: null,
      stoppedBy: null,
    };
    rt.phase = "authorizing";
    await journal.open(base);
    const challenge = random.bytes(16);
    let challengeSignature: Uint8Array | null = null;
    if (plug.certificateChain.length > 0) {
      try {
        challengeSignature = await rt.hw.link.signChallenge(challenge);
      } catch {
        challengeSignature = null;
      }
    }
    const decision = await authorizer.authorize({
      stallId: rt.hw.config.id,
      sessionId,
      plug,
      challenge,
      challengeSignature,
      nowMs: clock.now(),
    });
    if (!decision.accepted) {
      await journal.update(sessionId, {
        state: "rejected",
        authorization: decision,
        contractId: decision.contractId,
        endedAtMs: clock.now(),
      });
      this.deps.log?.info(
        { sessionId, stall: rt.hw.config.id, reason: decision.reason, detail: decision.detail },
        "session rejected",
      );
      rt.phase = "available";
      this.emitSession(sessionId);
      return false;
    }
    const read = await rt.hw.meter.read();
    if (!read.ok) {
      rt.meterFault = read.fault;
      await journal.update(sessionId, {
        state: "failed",
        authorization: decision,
        contractId: decision.contractId,
        endedAtMs: clock.now(),
        stopReason: "meter_fault",
      });
      rt.phase = "available";
      this.emitSession(sessionId);
      return false;
    }
    const registerWh = Math.max(
      read.reading.registerWh,
      this.deps.ledger.lastRegisterWh(rt.hw.config.meterId),
    );
    const begin = await this.deps.ledger.append({
      meterId: rt.hw.config.meterId,
      stallId: rt.hw.config.id,
      sessionId,
      kind: "begin",
      registerWh,
      status: RecordStatus.ok,
      meterPayload: meterPayloadFor(read.reading, registerWh),
    });
    await journal.update(sessionId, {
      state: "charging",
      authorization: decision,
      contractId: decision.contractId,
      begin: { meterId: rt.hw.config.meterId, seq: begin.body.seq, registerWh },
    });
    rt.active = {
      sessionId,
      contractId: decision.contractId,
      caps: decision.caps,
      beginRegisterWh: registerWh,
      lastCheckpointMs: clock.now(),
      tokenIssuedAtMs: 0,
    };
    await this.refreshToken(rt);
    rt.lastRegisterWh = registerWh;
    rt.phase = "charging";
    await rt.hw.stage.setContactor(true);
    this.deps.power.stallCharging(rt.hw.config.id, true);
    this.deps.log?.info(
      { sessionId, stall: rt.hw.config.id, contract: decision.contractId, mode: decision.mode },
      "session started",
    );
    this.emitSession(sessionId);
    return true;
  }

  /** Reads the meter during a session; writes checkpoints; stops on full, caps or faults. Returns true if stopped. */
  private async meterStep(rt: StallRuntime): Promise<boolean> {
    const active = rt.active!;
    const now = this.deps.clock.now();
    const r = await rt.hw.meter.read();
    if (!r.ok) {
      rt.meterFault = r.fault;
      await this.stop(rt, "meter_fault", null, RecordStatus.meterFault | RecordStatus.estimated);
      return true;
    }
    rt.meterFault = null;
    rt.lastPowerW = r.reading.powerW;
    rt.lastRegisterWh = Math.max(r.reading.registerWh, rt.lastRegisterWh);
    const energyWh = rt.lastRegisterWh - active.beginRegisterWh;
    const acceptance = rt.hw.link.acceptance();
    this.emit("telemetry", {
      atMs: now,
      stallId: rt.hw.config.id,
      sessionId: active.sessionId,
      powerW: rt.lastPowerW,
      registerWh: rt.lastRegisterWh,
      sessionEnergyWh: energyWh,
      socPermille: acceptance?.socPermille ?? null,
    });
    if (active.caps.maxEnergyWh !== undefined && energyWh >= active.caps.maxEnergyWh) {
      await this.stop(rt, "risk_cap", null);
      return true;
    }
    if (acceptance?.full) {
      await this.stop(rt, "full", null);
      return true;
    }
    if (now - active.tokenIssuedAtMs >= (this.deps.tokenTtlMs ?? 600_000) / 2) await this.refreshToken(rt);
    if (now - active.lastCheckpointMs >= this.deps.checkpointIntervalMs) {
      await this.deps.ledger.append({
        meterId: rt.hw.config.meterId,
        stallId: rt.hw.config.id,
        sessionId: active.sessionId,
        kind: "checkpoint",
        registerWh: rt.lastRegisterWh,
        status: RecordStatus.ok,
        meterPayload: meterPayloadFor(r.reading, rt.lastRegisterWh),
      });
      active.lastCheckpointMs = now;
    }
    return false;
  }

  /** Issues (or refreshes) the session token and hands it to the car. A failure is logged, never fatal. */
  private async refreshToken(rt: StallRuntime): Promise<void> {
    const a = rt.active;
    if (!a || !a.contractId || !this.deps.issueToken || !rt.hw.link.receiveSessionToken) return;
    const now = this.deps.clock.now();
    try {
      const token = await this.deps.issueToken({
        sessionId: a.sessionId,
        contractId: a.contractId,
        stallId: rt.hw.config.id,
        issuedAtMs: now,
        expiresAtMs: now + (this.deps.tokenTtlMs ?? 600_000),
      });
      rt.hw.link.receiveSessionToken(token);
      a.tokenIssuedAtMs = now;
    } catch (e) {
      this.deps.log?.warn({ sessionId: a.sessionId, err: String(e) }, "session token not issued");
    }
  }

  private async stop(
    rt: StallRuntime,
    reason: StopReason,
    by: TechnicianId | null,
    extraStatus = 0,
  ): Promise<void> {
    if (!rt.active) return;
    rt.phase = "stopping";
    await this.deps.journal.update(rt.active.sessionId, { state: "stopping" });
    try {
      await rt.hw.stage.setLimit(0);
      await rt.hw.stage.setContactor(false);
    } catch (e) {
      this.deps.log?.warn({ stall: rt.hw.config.id, err: String(e) }, "power stage did not acknowledge stop");
    }
    this.deps.power.stallCharging(rt.hw.config.id, false);
    const status = extraStatus | (reason === "technician_stop" ? RecordStatus.technicianStop : 0);
    await this.writeEnd(rt, reason, by, status);
  }

  private async writeEnd(
    rt: StallRuntime,
    reason: StopReason,
    by: TechnicianId | null,
    status: number,
  ): Promise<void> {
    const active = rt.active!;
    let registerWh = this.deps.ledger.lastRegisterWh(rt.hw.config.meterId);
    let finalStatus = status;
    let meterPayload: Uint8Array | null = null;
    if ((status & RecordStatus.meterFault) === 0) {
      const r = await rt.hw.meter.read();
      if (r.ok) registerWh = Math.max(registerWh, r.reading.registerWh);
      if (r.ok) meterPayload = meterPayloadFor(r.reading, registerWh);
      else finalStatus |= RecordStatus.meterFault | RecordStatus.estimated;
    }
    const end = await this.deps.ledger.append({
      meterId: rt.hw.config.meterId,
      stallId: rt.hw.config.id,
      sessionId: active.sessionId,
      kind: "end",
      registerWh,
      status: finalStatus,
      meterPayload,
    });
    await this.deps.journal.update(active.sessionId, {
      state: "completed",
      end: { meterId: rt.hw.config.meterId, seq: end.body.seq, registerWh },
      endedAtMs: this.deps.clock.now(),
      stopReason: reason,
      stoppedBy: by,
    });
    this.deps.log?.info(
      {
        sessionId: active.sessionId,
        stall: rt.hw.config.id,
        reason,
        energyWh: registerWh - active.beginRegisterWh,
      },
      "session completed",
    );
    rt.active = null;
    rt.lastRegisterWh = registerWh;
    rt.lastPowerW = 0;
    rt.phase = "available";
    this.emitSession(end.body.sessionId!);
  }

  private emitSession(sessionId: SessionId): void {
    const entry = this.deps.journal.get(sessionId);
    if (entry) this.emit("session", entry);
    const rt = entry ? this.stalls.get(entry.stallId) : undefined;
    if (rt) this.emit("stall", this.view(rt));
  }

  /** Sessions per contract today (for the offline policy's per-day cap). */
  sessionsToday(contractId: ContractId): number {
    const now = this.deps.clock.now();
    const dayStart = now - (now % DAY_MS);
    return this.deps.journal.countByContract(contractId, dayStart, dayStart + DAY_MS);
  }
}

export { TERMINAL_SITE_STATES };
