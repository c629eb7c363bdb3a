import type { Clock, MeterId } from "@chargemesh/shared-model";
import type { Meter, MeterFaultCode, MeterReadResult } from "../meter.js";

/**
 * An energy meter whose register only grows: it integrates the power the simulation reports
 * (W over ms, kept in mJ so nothing is lost to rounding). Faults can be injected. The starting
 * register lets a restarted simulation continue where the physical meter would be.
 */
export class SimMeter implements Meter {
  private milliJ: number;
  private powerW = 0;
  private fault: MeterFaultCode | null = null;

  constructor(
    readonly id: MeterId,
    private readonly clock: Clock,
    startRegisterWh = 0,
  ) {
    this.milliJ = startRegisterWh * 3_600_000;
  }

  /** Adds `powerW` drawn for `ms` milliseconds. */
  integrate(powerW: number, ms: number): void {
    this.powerW = powerW;
    if (powerW > 0 && ms > 0) this.milliJ += powerW * ms;
  }

  /** Raises the register to at least `wh` (a restarted simulation catching up with the signed ledger). */
  ensureAtLeast(wh: number): void {
    this.milliJ = Math.max(this.milliJ, wh * 3_600_000);
  }

  injectFault(code: MeterFaultCode | null): void {
    this.fault = code;
  }

  registerWh(): number {
    return Math.floor(this.milliJ / 3_600_000);
  }

  async read(): Promise<MeterReadResult> {
    if (this.fault) return { ok: false, fault: this.fault, message: `simulated ${this.fault}` };
    return {
      ok: true,
      reading: { registerWh: this.registerWh(), powerW: this.powerW, atMs: this.clock.now() },
    };
  }

  async close(): Promise<void> {}
}
