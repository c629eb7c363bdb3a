import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";
import type { PricingPolicy } from "./pricingPolicy.js";
import { rateMeteredSession } from "./sessionRating.js";

/** One signed reading of a verified record: its position, meter time and register. */
export interface VerifiedSessionReading {
  readonly seq: number;
  readonly meterTimeMs: number;
  readonly registerWh: number;
}

/** A complete session as its verified signed begin and end records say it. */
export interface VerifiedSessionReadings {
  readonly sessionId: string;
  readonly meterId: string;
  readonly begin: VerifiedSessionReading;
  readonly end: VerifiedSessionReading;
}

/** One invoice line. Amounts in integer minor units, rounded by docs/rating.md's rule. */
export interface SessionInvoiceLine {
  readonly kind: "energy" | "promotion";
  readonly description: string;
  /** Energy this line prices, Wh (0 for a promotion). */
  readonly energyWh: number;
  readonly exclVatMinor: bigint;
  readonly vatMinor: bigint;
  /** The signed records (`meter/seq`) the line derives from: the begin and the end record. */
  readonly sourceRecords: readonly string[];
}

/** What an invoice of the session says; `totalMinorUnits` = the lines' sum, VAT included. */
export interface SessionInvoice {
  readonly currency: string;
  readonly tariffId: string;
  readonly energyWh: number;
  readonly lineItems: readonly SessionInvoiceLine[];
  readonly totalMinorUnits: bigint;
}

/**
 * The invoice of a complete session from its verified signed begin and end readings: OCPI rating
 * (`rateMeteredSession`, the tariff version valid at the begin reading, in `timeZone`) with the
 * pricing policy, then the engine's three rounded totals as one tariff line (gross excl. VAT with
 * its VAT) and, when there is a discount, one promotion line. Billing (cloud-peer's
 * OcpiSessionRater) and the auditor both call exactly this, so they agree to the minor unit.
 * Fails (error value, never throws) like `rateMeteredSession`, or with invalid_input for an end
 * before the begin.
 */
export function rateVerifiedSession(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  timeZone: string,
  session: VerifiedSessionReadings,
  policy: PricingPolicy = {},
): Result<SessionInvoice> {
  const { begin, end, meterId } = session;
  if (end.seq <= begin.seq || end.registerWh < begin.registerWh || end.meterTimeMs < begin.meterTimeMs)
    return err(
      new ChargemeshError("invalid_input", `session ${session.sessionId}: its end does not follow its begin`),
    );
  const reading = (r: VerifiedSessionReading) => ({
    meterId,
    seq: r.seq,
    meterTimeMs: r.meterTimeMs,
    registerWh: r.registerWh,
  });
  const rated = rateMeteredSession(tariffs, { timeZone, readings: [reading(begin), reading(end)] }, policy);
  if (!rated.ok) return rated;
  const inv = rated.value.invoice;
  const energyWh = end.registerWh - begin.registerWh;
  const sourceRecords = [`${meterId}/${begin.seq}`, `${meterId}/${end.seq}`];
  const labels = inv.lines.map((l) => l.label).join("; ");
  const lineItems: SessionInvoiceLine[] = [
    {
      kind: "energy",
      description: `${labels} (tariff ${rated.value.tariff.id}, prices excl. VAT)`.slice(0, 500),
      energyWh,
      exclVatMinor: inv.grossExclVatMinor,
      vatMinor: inv.vatMinor,
      sourceRecords,
    },
  ];
  if (inv.discountExclVatMinor !== 0n)
    lineItems.push({
      kind: "promotion",
      description: rated.value.discounts.map((d) => d.kind).join(", ") || "discount",
      energyWh: 0,
      exclVatMinor: -inv.discountExclVatMinor,
      vatMinor: 0n,
      sourceRecords,
    });
  return ok({
    currency: inv.currency,
    tariffId: rated.value.tariff.id,
    energyWh,
    lineItems,
    totalMinorUnits: inv.totalInclVatMinor,
  });
}
