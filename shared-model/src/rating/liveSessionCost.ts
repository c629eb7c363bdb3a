import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";
import type { PricingPolicy } from "./pricingPolicy.js";
import { rateVerifiedSession } from "./verifiedSessionRating.js";

/** A session in progress as a live display knows it. */
export interface SessionProgress {
  readonly sessionId: string;
  /** When the session began (the begin reading's meter time when known), epoch ms. */
  readonly startMs: number;
  /** The time of the figure, epoch ms (not before `startMs`: an earlier one counts as `startMs`). */
  readonly nowMs: number;
  /** Energy delivered since the begin reading, Wh (a non-negative integer). */
  readonly energyWh: number;
}

/** The live figure: what the invoice would say if the session ended now. */
export interface LiveSessionCost {
  readonly currency: string;
  readonly tariffId: string;
  /** Integer minor units, VAT included, rounded exactly as the invoice (`SessionInvoice.totalMinorUnits`). */
  readonly totalMinorUnits: bigint;
}

/**
 * The cost so far of a session in progress: `rateVerifiedSession` itself (the function billing and
 * the auditor use) on a begin reading at `startMs` and an end reading at `nowMs` with `energyWh`
 * more on the register, so when the session ends at that time and energy the figure is the
 * invoice's total to the minor unit. Same tariff version (valid at the start), time zone and
 * pricing policy semantics. Fails (error value, never throws) with invalid_input for a negative or
 * non-integer energy, or like `rateVerifiedSession`.
 */
export function liveSessionCost(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  timeZone: string,
  progress: SessionProgress,
  policy: PricingPolicy = {},
): Result<LiveSessionCost> {
  const { sessionId, startMs, nowMs, energyWh } = progress;
  if (!Number.isSafeInteger(energyWh) || energyWh < 0)
    return err(
      new ChargemeshError("invalid_input", `session ${sessionId}: energy must be a non-negative integer`),
    );
  // Only register and time differences are priced; the sequence numbers merely name the records.
  const invoice = rateVerifiedSession(
    tariffs,
    timeZone,
    {
      sessionId,
      meterId: "live",
      begin: { seq: 0, meterTimeMs: startMs, registerWh: 0 },
      end: { seq: 1, meterTimeMs: Math.max(startMs, nowMs), registerWh: energyWh },
    },
    policy,
  );
  if (!invoice.ok) return invoice;
  return ok({
    currency: invoice.value.currency,
    tariffId: invoice.value.tariffId,
    totalMinorUnits: invoice.value.totalMinorUnits,
  });
}
