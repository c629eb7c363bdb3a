import type { ConfigDocument } from "@chargemesh/shared-model";

export type Tariff = ConfigDocument["tariffs"][number];

/** The tariff that applied at `atMs`: the one with the latest `validFromMs` not after it, or null. Pure. */
export function tariffAt(tariffs: readonly Tariff[], atMs: number): Tariff | null {
  let best: Tariff | null = null;
  for (const t of tariffs) if (t.validFromMs <= atMs && (!best || t.validFromMs > best.validFromMs)) best = t;
  return best;
}

/**
 * What a session has cost so far at `tariff`: the session fee plus energy at the per-kWh price, in
 * integer minor units, rounded half up once on the energy part (Wh x minor/kWh / 1000). An estimate
 * shown while charging; the receipt is billing's. Pure; exact for any safe integer inputs.
 */
export function costSoFarMinor(tariff: Tariff, energyWh: number): number {
  const energy = (BigInt(energyWh) * BigInt(tariff.energyMinorPerKWh) + 500n) / 1000n;
  return Number(energy + BigInt(tariff.sessionFeeMinor));
}
