import type { Result } from "@chargemesh/shared-model";
import type { BillableSession, BillingAccount, CurrencyCode } from "./billingTypes.js";

/** One invoice line as rated. Amounts in integer minor units, already rounded by the rater's rule. */
export interface RatedLine {
  readonly kind: "energy" | "flat" | "time" | "parking" | "idle" | "promotion";
  readonly description: string;
  /** Energy this line prices, Wh (0 for lines that do not price energy). */
  readonly energyWh: number;
  readonly exclVatMinor: bigint;
  readonly vatMinor: bigint;
  /** The signed records (`meter/seq`) the line derives from. */
  readonly sourceRecords: readonly string[];
}

/** A session's rating: what the invoice says. `totalMinorUnits` = sum of lines, VAT included. */
export interface RatedSession {
  readonly currency: CurrencyCode;
  readonly tariffId: string;
  readonly lineItems: readonly RatedLine[];
  readonly energyWh: number;
  readonly totalMinorUnits: bigint;
}

/**
 * The slice of the rating engine billing needs: rate a verified, complete session for its account with
 * the tariff valid at session start. Pure: the same session gives the same rating on every peer.
 * Fails (error value) for a session with no applicable tariff.
 */
export interface SessionRater {
  rate(session: BillableSession, account: BillingAccount): Result<RatedSession>;
}
