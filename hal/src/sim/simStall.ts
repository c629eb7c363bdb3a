import type { Clock, MeterId } from "@chargemesh/shared-model";
import type { PlugEvent, VehicleAcceptance, VehicleLink } from "../vehicleLink.js";
import { SimMeter } from "./simMeter.js";
import { SimPowerStage } from "./simPowerStage.js";
import type { SimVehicle } from "./simVehicle.js";

export interface SimStallSpec {
  readonly meterId: MeterId;
  readonly maxW: number;
  readonly minW: number;
  readonly reactionDelayMs: number;
  readonly startRegisterWh?: number;
}

/**
 * One simulated stall with its physics: the car draws min(the stage's applied limit, its taper
 * acceptance); the battery stores it and the meter counts it. `advanceTo(now)` moves everything to
 * the clock's present; between calls the draw is constant (the simulation's time step).
 */
export class SimStall {
  readonly meter: SimMeter;
  readonly stage: SimPowerStage;
  readonly link: VehicleLink;
  private car: SimVehicle | null = null;
  private lastMs: number;
  private offeredW = 0;
  private drawW = 0;
  private readonly plugListeners = new Set<(e: PlugEvent) => void>();
  private readonly unplugListeners = new Set<() => void>();

  constructor(
    spec: SimStallSpec,
    private readonly clock: Clock,
  ) {
    this.meter = new SimMeter(spec.meterId, clock, spec.startRegisterWh ?? 0);
    this.stage = new SimPowerStage(spec.maxW, spec.minW, spec.reactionDelayMs, clock);
    this.lastMs = clock.now();
    const self = this;
    this.link = {
      async signChallenge(challenge) {
        if (!self.car) throw new Error("no car plugged");
        return self.car.signChallenge(challenge);
      },
      acceptance(): VehicleAcceptance | null {
        const b = self.car?.battery;
        return b
          ? {
              maxPowerW: b.acceptanceW(),
              socPermille: b.socPermille(),
              targetPermille: b.targetPermille,
              full: b.full(),
            }
          : null;
      },
      offerPower(limitW) {
        self.offeredW = limitW;
      },
      onPlug(l) {
        self.plugListeners.add(l);
        return () => self.plugListeners.delete(l);
      },
      onUnplug(l) {
        self.unplugListeners.add(l);
        return () => self.unplugListeners.delete(l);
      },
      plugged: () => self.car !== null,
      receiveSessionToken(token) {
        if (self.car) self.car.sessionToken = token;
      },
      async close() {},
    };
  }

  /** The car currently plugged in, if any. */
  vehicle(): SimVehicle | null {
    return this.car;
  }

  /** What the car was last offered over the vehicle link, W. */
  offeredPowerW(): number {
    return this.offeredW;
  }

  plug(car: SimVehicle): void {
    if (this.car) throw new Error("stall occupied");
    this.advanceTo(this.clock.now());
    this.car = car;
    const event: PlugEvent = {
      certificateChain: car.certificateChain,
      ...(car.claimedVin ? { claimedVin: car.claimedVin } : {}),
    };
    for (const l of this.plugListeners) l(event);
  }

  unplug(): SimVehicle | null {
    this.advanceTo(this.clock.now());
    const car = this.car;
    this.car = null;
    this.drawW = 0;
    this.meter.integrate(0, 0);
    this.stage.setLoad(0);
    if (car) for (const l of this.unplugListeners) l();
    return car;
  }

  /** Moves the stall's physics from the last call to `nowMs`. */
  advanceTo(nowMs: number): void {
    const dt = nowMs - this.lastMs;
    this.lastMs = nowMs;
    // The draw set at the previous step held over [last, now]; then the stage and the car move on.
    if (dt > 0 && this.drawW > 0 && this.car) {
      this.car.battery.charge(this.drawW, dt);
      this.meter.integrate(this.drawW, dt);
    }
    this.stage.advanceTo(nowMs);
    this.stage.setLoad(this.car ? this.car.battery.acceptanceW() : 0);
    this.drawW = this.stage.drawW();
    this.meter.integrate(this.drawW, 0);
  }
}
