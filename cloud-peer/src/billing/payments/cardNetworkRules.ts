import type { CardNetwork } from "../billingTypes.js";
import type { Initiator } from "./paymentProvider.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Visa category 1 ("issuer will never approve") response codes: never reattempt. */
export const VISA_DO_NOT_RETRY = new Set([
  "04",
  "07",
  "12",
  "14",
  "15",
  "41",
  "43",
  "46",
  "57",
  "R0",
  "R1",
  "R3",
]);
/** Mastercard merchant advice codes that forbid a reattempt (03: do not try again; 21: payment cancelled). */
export const MASTERCARD_DO_NOT_RETRY_ADVICE = new Set(["03", "21"]);

/** Card networks cap reattempts: at most 15 in 30 days for one card (Visa's rule; applied to every card). */
export const MAX_REATTEMPTS_PER_CARD = 15;
export const REATTEMPT_WINDOW_MS = 30 * DAY_MS;

/** True when the network forbids any reattempt after this decline. */
export function isDoNotRetry(decline: {
  network: CardNetwork;
  networkDeclineCode: string | null;
  networkAdviceCode: string | null;
  code?: string;
}): boolean {
  if (
    decline.network === "visa" &&
    decline.networkDeclineCode !== null &&
    VISA_DO_NOT_RETRY.has(decline.networkDeclineCode)
  ) {
    return true;
  }
  if (decline.networkAdviceCode !== null && MASTERCARD_DO_NOT_RETRY_ADVICE.has(decline.networkAdviceCode))
    return true;
  return decline.code === "do_not_try_again";
}

/**
 * How long an authorization holds: 7 days customer-initiated; a Visa merchant-initiated one lapses
 * before 5 days (we use 4); other merchant-initiated holds 7 days.
 */
export function holdLifetimeMs(network: CardNetwork, initiatedBy: Initiator): number {
  if (initiatedBy === "merchant" && network === "visa") return 4 * DAY_MS;
  return 7 * DAY_MS;
}

/** Backoff before reattempt n (1-based): 1 h, 6 h, 1 d, 2 d, 4 d, then every 4 days. */
export function reattemptDelayMs(reattempt: number): number {
  const hours = [1, 6, 24, 48, 96];
  return (hours[Math.min(reattempt, hours.length) - 1] ?? 96) * 60 * 60 * 1000;
}

/** Backoff before repeating a request whose outcome is unknown (same key): 30 s doubling, at most 1 h. */
export function unknownOutcomeDelayMs(tries: number): number {
  return Math.min(30_000 * 2 ** Math.min(tries, 7), 60 * 60 * 1000);
}
