import { z } from "zod";

/**
 * The cloud HTTP API's typed messages (cloud-peer/src/http, driver-app): requests and responses as zod
 * schemas with their inferred types. Money is integer minor units with an ISO 4217 currency, energy
 * integer Wh, times integer ms since the epoch. Browser-safe: imports nothing but zod.
 */

const count = z.number().int().nonnegative().lte(Number.MAX_SAFE_INTEGER);
const epochMs = z.number().int().nonnegative().lte(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().min(1).max(max);
const currency = z.string().regex(/^[A-Z]{3}$/);

/** Every error body of the cloud API: a stable code (never renamed) and a human message. */
export const cloudApiErrorCodes = [
  "invalid_input",
  "malformed_json",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "payload_too_large",
  "rate_limited",
  "conflict",
  "unavailable",
  "internal",
  /** The payment provider does not know the payment method given for the card on file. */
  "payment_method_unknown",
] as const;
export type CloudApiErrorCode = (typeof cloudApiErrorCodes)[number];
export const cloudApiErrorBodySchema = z.object({
  error: z.object({ code: z.enum(cloudApiErrorCodes), message: z.string().max(2_000) }),
});
export type CloudApiErrorBody = z.infer<typeof cloudApiErrorBodySchema>;

export const signInRequestSchema = z
  .object({ email: z.string().email().max(254), password: z.string().min(1).max(256) })
  .strict();
export type SignInRequest = z.infer<typeof signInRequestSchema>;

export const accountSummarySchema = z.object({
  accountId: text(64),
  name: text(128),
  email: z.string().max(254),
});
export type AccountSummary = z.infer<typeof accountSummarySchema>;

export const signInResponseSchema = z.object({
  accountToken: text(1_024),
  expiresAtMs: epochMs,
  account: accountSummarySchema,
});
export type SignInResponse = z.infer<typeof signInResponseSchema>;

export const connectorTypes = ["ccs2", "type2", "chademo", "nacs", "unspecified"] as const;
export type ConnectorType = (typeof connectorTypes)[number];

export const vehicleSchema = z.object({
  vehicleId: text(64),
  name: text(128),
  batteryWh: count,
  connector: z.enum(connectorTypes),
});
export type Vehicle = z.infer<typeof vehicleSchema>;

export const contractSchema = z.object({
  /** eMAID of the contract certificate in the car. */
  contractId: text(32),
  vehicleId: text(64),
  provider: text(128),
  status: z.enum(["active", "revoked"]),
});
export type Contract = z.infer<typeof contractSchema>;

/** Payment standing: good; in debt (an amount is owed after a decline); blocked (sites refuse the contract). */
export const paymentStandingSchema = z.object({
  state: z.enum(["good", "in_debt", "blocked"]),
  debtMinor: count,
  currency,
  /** Where the figure comes from: the billing ledger, or "none yet" when billing has no record of the account. */
  source: z.enum(["billing", "no_billing_record"]),
});
export type PaymentStanding = z.infer<typeof paymentStandingSchema>;

/**
 * What settling answers: the standing now, and whether the payments it queued are still being made
 * (the answer comes within a bound, before the request's timeout; the standing then follows).
 */
export const settleResponseSchema = paymentStandingSchema.extend({ inProgress: z.boolean() });
export type SettleResponse = z.infer<typeof settleResponseSchema>;

/**
 * How billing pays: through the payment SIMULATOR (no real card is charged; `testPaymentMethods` are the
 * provider's test tokens it accepts for a replacement card) or through a real card provider.
 */
export const paymentsInfoSchema = z.object({
  through: z.enum(["simulator", "card_provider"]),
  testPaymentMethods: z.array(text(64)).max(10),
});
export type PaymentsInfo = z.infer<typeof paymentsInfoSchema>;

export const accountResponseSchema = z.object({
  account: accountSummarySchema,
  vehicles: z.array(vehicleSchema).max(100),
  contracts: z.array(contractSchema).max(100),
  standing: paymentStandingSchema,
  /** Absent when billing is not connected (or from a server that predates it). */
  payments: paymentsInfoSchema.optional(),
});
export type AccountResponse = z.infer<typeof accountResponseSchema>;

const minor = z.number().int().gte(-Number.MAX_SAFE_INTEGER).lte(Number.MAX_SAFE_INTEGER);
/** One invoice line as billing rated it (cloud-peer/src/billing `RatedLine`), amounts already rounded. */
/** Replacing the card on file: a payment method ID of the provider (Stripe: a PaymentMethod ID or test token). */
export const replaceCardRequestSchema = z
  .object({ paymentMethod: z.string().regex(/^[A-Za-z0-9_]{3,128}$/) })
  .strict();
export type ReplaceCardRequest = z.infer<typeof replaceCardRequestSchema>;

/** The card on file after a replacement (the provider's reference and network) and the standing then. */
export const replaceCardResponseSchema = z.object({
  card: z.object({ paymentMethod: text(128), network: z.enum(["visa", "mastercard", "other"]) }),
  standing: paymentStandingSchema,
});
export type ReplaceCardResponse = z.infer<typeof replaceCardResponseSchema>;

export const receiptLineSchema = z.object({
  kind: z.enum(["energy", "flat", "time", "parking", "idle", "promotion", "adjustment"]),
  description: text(200),
  /** Energy the line prices, Wh (0 for lines that do not price energy). */
  energyWh: count,
  exclVatMinor: minor,
  vatMinor: minor,
});
export type ReceiptLine = z.infer<typeof receiptLineSchema>;

/** A receipt as billing issues it: the invoice of one session and its line items (total = sum of lines, VAT included). */
export const receiptSchema = z.object({
  sessionId: text(128),
  invoiceRef: text(128),
  issuedAtMs: epochMs,
  currency,
  energyWh: count,
  totalMinor: minor,
  paymentState: z.enum(["pending", "paid", "declined", "retrying", "written_off"]),
  lines: z.array(receiptLineSchema).min(1).max(100),
});
export type Receipt = z.infer<typeof receiptSchema>;

export const receiptResponseSchema = z.object({
  sessionId: text(128),
  /** Null while billing has issued no receipt for the session; `pendingReason` says why. */
  receipt: receiptSchema.nullable(),
  pendingReason: z.enum(["session_open", "not_billed_yet", "billing_not_connected"]).nullable(),
});
export type ReceiptResponse = z.infer<typeof receiptResponseSchema>;

export const sessionStates = [
  "authorizing",
  "charging",
  "stopping",
  "completed",
  "rejected",
  "failed",
] as const;
export const historySessionSchema = z.object({
  sessionId: text(128),
  siteId: text(64),
  stallId: text(64),
  contractId: text(32),
  startedAtMs: epochMs,
  endedAtMs: epochMs.nullable(),
  state: z.enum(sessionStates),
  /** Energy between the signed begin and end records; null while the session has no end record. */
  energyWh: count.nullable(),
  hasReceipt: z.boolean(),
});
export type HistorySession = z.infer<typeof historySessionSchema>;

export const historyResponseSchema = z.object({ sessions: z.array(historySessionSchema).max(500) });
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

export const stationPriceSchema = z.object({
  currency,
  energyMinorPerKWh: count,
  sessionFeeMinor: count,
});
export type StationPrice = z.infer<typeof stationPriceSchema>;

export const connectorAvailabilitySchema = z.object({
  connector: z.enum(connectorTypes),
  free: count,
  occupied: count,
  outOfService: count,
});
export type ConnectorAvailability = z.infer<typeof connectorAvailabilitySchema>;

/**
 * One site in the station finder. `fresh` false means the figures are older than the freshness
 * window: a stale site is never counted as free (`free` is 0 and the app shows "unknown").
 */
export const stationSchema = z.object({
  siteId: text(64),
  fresh: z.boolean(),
  /** When the site's figures were last reported (cloud clock), null before the first report. */
  reportedAtMs: epochMs.nullable(),
  ageMs: count.nullable(),
  connectors: z.array(connectorAvailabilitySchema).max(16),
  price: stationPriceSchema.nullable(),
});
export type Station = z.infer<typeof stationSchema>;

export const stationFinderResponseSchema = z.object({
  atMs: epochMs,
  stations: z.array(stationSchema).max(10_000),
});
export type StationFinderResponse = z.infer<typeof stationFinderResponseSchema>;

export const stationFinderQuerySchema = z
  .object({
    connector: z.enum(connectorTypes).optional(),
    onlyFree: z.enum(["true", "false"]).optional(),
  })
  .strict();
export type StationFinderQuery = z.infer<typeof stationFinderQuerySchema>;

/** The cloud API's paths, one list for server and client. */
export const cloudApiPaths = {
  signIn: "/api/account/sign-in",
  account: "/api/account",
  history: "/api/account/sessions",
  receipt: (sessionId: string) => `/api/account/sessions/${encodeURIComponent(sessionId)}/receipt`,
  settle: "/api/account/settle",
  /** PUT: replace the card on file (`replaceCardRequestSchema` → `replaceCardResponseSchema`). */
  card: "/api/account/card",
  stations: "/api/stations",
  live: "/api/live",
} as const;
