/**
 * A traction battery with a DC taper: full acceptance up to the knee (55% state of charge), then
 * falling linearly to 5% of it at 100%. Energy is integer mWh inside (no energy lost to rounding);
 * powers are integer W. Deterministic.
 */
export interface BatterySpec {
  readonly capacityWh: number;
  readonly socPermille: number;
  readonly targetPermille: number;
  readonly maxPowerW: number;
}

const KNEE_PERMILLE = 550;

export class SimBattery {
  private energyMilliWh: number;
  private remainderMilliJ = 0;
  readonly capacityWh: number;
  readonly targetPermille: number;
  readonly maxPowerW: number;

  constructor(spec: BatterySpec) {
    if (!(spec.capacityWh > 0) || spec.maxPowerW <= 0)
      throw new RangeError("battery needs a positive capacity and power");
    this.capacityWh = spec.capacityWh;
    this.targetPermille = spec.targetPermille;
    this.maxPowerW = spec.maxPowerW;
    this.energyMilliWh = Math.floor((spec.capacityWh * spec.socPermille) / 1000) * 1000;
  }

  /** State of charge, per mille. */
  socPermille(): number {
    return Math.floor(this.energyMilliWh / this.capacityWh);
  }

  full(): boolean {
    return this.socPermille() >= this.targetPermille;
  }

  /** What the car accepts now, W (0 once at target). */
  acceptanceW(): number {
    const soc = this.socPermille();
    if (soc >= this.targetPermille) return 0;
    if (soc <= KNEE_PERMILLE) return this.maxPowerW;
    const fall = Math.floor((this.maxPowerW * 95 * (soc - KNEE_PERMILLE)) / (100 * (1000 - KNEE_PERMILLE)));
    return Math.max(Math.floor(this.maxPowerW / 20), this.maxPowerW - fall);
  }

  /** Stores `powerW` for `ms` milliseconds (W*ms = mJ; 3600 mJ = 1 mWh; the remainder is kept). */
  charge(powerW: number, ms: number): void {
    if (powerW <= 0 || ms <= 0) return;
    const milliJ = powerW * ms + this.remainderMilliJ;
    this.energyMilliWh = Math.min(this.capacityWh * 1000, this.energyMilliWh + Math.floor(milliJ / 3600));
    this.remainderMilliJ = milliJ % 3600;
  }
}
