import { liveSessionCost } from "@chargemesh/shared-model";
import type { ConfigDocument, HeldOcpiTariffs } from "@chargemesh/shared-model";

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

/** A live cost figure: integer minor units, VAT included, and its currency. */
export interface CostFigure {
  readonly costMinor: number;
  readonly currency: string;
}

/**
 * What a session has cost so far on the site's OCPI tariffs: shared-model `liveSessionCost` (the
 * invoice's own rating, default pricing policy) from `startMs` to `nowMs` with `energyWh`, so the
 * last figure equals the invoice of a session that ends then. Null when the rating fails (no
 * version valid at the start, bad figures) or the total is beyond a safe integer. Pure, never throws.
 */
export function ocpiCostSoFar(
  held: HeldOcpiTariffs,
  sessionId: string,
  startMs: number,
  nowMs: number,
  energyWh: number,
): CostFigure | null {
  const r = liveSessionCost(held.tariffs, held.timeZone, { sessionId, startMs, nowMs, energyWh });
  if (!r.ok || r.value.totalMinorUnits > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { costMinor: Number(r.value.totalMinorUnits), currency: r.value.currency };
}
