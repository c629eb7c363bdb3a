import type {
  Meter,
  MeterReadResult,
  PlugEvent,
  PowerStage,
  PowerStageStatus,
  VehicleAcceptance,
  VehicleLink,
} from "@chargemesh/hal";
import type { Clock, MeterId } from "@chargemesh/shared-model";

/**
 * A deliberately simple stall for orchestrator tests: the car draws exactly what the stage allows,
 * the meter integrates it on the injected clock. The hal simulators (with taper and reaction delay)
 * are tested on their own; here the orchestrator's state machine is the subject.
 */
export class FakeStall {
  limitW = 0;
  contactor = false;
  registerMilliWh = 0;
  lastMs: number;
  faulty = false;
  /** The latest session token the site handed to the car. */
  token: string | null = null;
  plugged = false;
  full = false;
  private plugListeners: Array<(e: PlugEvent) => void> = [];
  private unplugListeners: Array<() => void> = [];

  readonly meterId: MeterId;
  readonly maxW: number;
  private readonly clock: Clock;

  constructor(meterId: MeterId, clock: Clock, maxW = 50_000) {
    this.meterId = meterId;
    this.clock = clock;
    this.maxW = maxW;
    this.lastMs = clock.now();
    (this.meter as { id: MeterId }).id = meterId;
    (this.stage as { maxW: number }).maxW = maxW;
  }

  private integrate(): void {
    const now = this.clock.now();
    const w = this.contactor && this.plugged ? this.limitW : 0;
    this.registerMilliWh += Math.floor((w * (now - this.lastMs)) / 3600);
    this.lastMs = now;
  }

  plug(event: PlugEvent): void {
    this.integrate();
    this.plugged = true;
    this.full = false;
    for (const l of this.plugListeners) l(event);
  }

  unplug(): void {
    this.integrate();
    this.plugged = false;
    for (const l of this.unplugListeners) l();
  }

  readonly meter: Meter = {
    id: "pending" as MeterId,
    read: async (): Promise<MeterReadResult> => {
      this.integrate();
      if (this.faulty) return { ok: false, fault: "meter_timeout", message: "no answer" };
      const powerW = this.contactor && this.plugged ? this.limitW : 0;
      return {
        ok: true,
        reading: { registerWh: Math.floor(this.registerMilliWh / 1000), powerW, atMs: this.clock.now() },
      };
    },
    close: async () => {},
  };

  readonly stage: PowerStage = {
    maxW: 0,
    minW: 0,
    reactionDelayMs: 0,
    setLimit: async (w: number) => {
      this.integrate();
      this.limitW = w;
    },
    setContactor: async (closed: boolean) => {
      this.integrate();
      this.contactor = closed;
    },
    status: (): PowerStageStatus => ({
      state: this.contactor ? "delivering" : "idle",
      appliedLimitW: this.limitW,
      requestedLimitW: this.limitW,
      measuredW: this.contactor && this.plugged ? this.limitW : 0,
      contactorClosed: this.contactor,
    }),
    onStatus: () => () => {},
    close: async () => {},
  };

  readonly link: VehicleLink = {
    signChallenge: async (c: Uint8Array) => new Uint8Array([...c].reverse()),
    acceptance: (): VehicleAcceptance | null =>
      this.plugged ? { maxPowerW: this.maxW, socPermille: 500, targetPermille: 800, full: this.full } : null,
    offerPower: () => {},
    onPlug: (l) => {
      this.plugListeners.push(l);
      return () => (this.plugListeners = this.plugListeners.filter((x) => x !== l));
    },
    onUnplug: (l) => {
      this.unplugListeners.push(l);
      return () => (this.unplugListeners = this.unplugListeners.filter((x) => x !== l));
    },
    plugged: () => this.plugged,
    receiveSessionToken: (t: string) => void (this.token = t),
    close: async () => {},
  };
}
