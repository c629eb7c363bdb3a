/** What a time-to-target estimate is made from: integers, SoC in per mille, energy in Wh, power in W. */
export interface TimeToTargetInput {
  /** The SoC the car reported when the session's energy was 0. */
  readonly startSocPermille: number | null;
  readonly socPermille: number | null;
  readonly targetPermille: number | null;
  /** Energy delivered in the session so far. */
  readonly energyWh: number;
  readonly powerW: number;
}

/** The least SoC rise (per mille) from which the battery's size is estimated. */
export const MIN_SOC_RISE_PERMILLE = 20;

/**
 * Minutes until the car reaches its target at the present power, estimating the battery's size from
 * the energy delivered per per-mille of SoC gained so far (the car does not report its capacity).
 * 0 once at target; null when it cannot be estimated honestly (no SoC, SoC risen less than
 * MIN_SOC_RISE_PERMILLE, no power, or inputs that are not non-negative integers). Exact integer
 * arithmetic, rounded up. Pure; never throws.
 */
export function minutesToTarget(i: TimeToTargetInput): number | null {
  const { startSocPermille: start, socPermille: soc, targetPermille: target } = i;
  if (start === null || soc === null || target === null) return null;
  const whole = [start, soc, target, i.energyWh, i.powerW].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!whole) return null;
  if (soc >= target) return 0;
  const rise = soc - start;
  if (rise < MIN_SOC_RISE_PERMILLE || i.powerW === 0) return null;
  const numerator = BigInt(target - soc) * BigInt(i.energyWh) * 60n;
  const denominator = BigInt(rise) * BigInt(i.powerW);
  const minutes = (numerator + denominator - 1n) / denominator;
  return minutes > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(minutes);
}
