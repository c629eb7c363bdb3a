import type { CardNetwork } from "../billingTypes.js";
import type { PaymentResult } from "./paymentProvider.js";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : null);

function networkOf(intent: Json): CardNetwork {
  const n = obj(obj(obj(obj(intent.latest_charge).payment_method_details).card)).network;
  return n === "visa" || n === "mastercard" ? n : "other";
}

/** What a successful PaymentIntent (or Refund) response means for the request that produced it. */
export function resultFromStripeObject(
  o: Json,
  expected: "requires_capture" | "succeeded" | "canceled",
): PaymentResult {
  if (o.object === "refund") {
    return {
      kind: "succeeded",
      providerRef: String(o.id),
      amountMinor: BigInt(Number(o.amount)),
      expiresAtMs: null,
    };
  }
  if (o.status !== expected) {
    return {
      kind: "rejected",
      code: "unexpected_status",
      message: `payment intent ${String(o.id)} is ${String(o.status)}, expected ${expected}`,
    };
  }
  const captureBefore = obj(obj(obj(o.latest_charge).payment_method_details).card).capture_before;
  const amount =
    expected === "requires_capture"
      ? o.amount_capturable
      : expected === "succeeded"
        ? o.amount_received
        : o.amount;
  return {
    kind: "succeeded",
    providerRef: String(o.id),
    amountMinor: BigInt(Number(amount ?? 0)),
    expiresAtMs:
      expected === "requires_capture" && typeof captureBefore === "number" ? captureBefore * 1000 : null,
  };
}

/** What a Stripe error response (HTTP status and its `error` object) means. */
export function resultFromStripeError(
  status: number | undefined,
  error: Json,
  networkHint: CardNetwork = "other",
): PaymentResult {
  const type = error.type;
  const code = strOrNull(error.code);
  if (type === "card_error") {
    const intent = obj(error.payment_intent);
    const network =
      Object.keys(intent).length > 0 && networkOf(intent) !== "other" ? networkOf(intent) : networkHint;
    return {
      kind: "declined",
      providerRef: strOrNull(intent.id),
      code: strOrNull(error.decline_code) ?? code ?? "card_declined",
      network,
      networkDeclineCode: strOrNull(error.network_decline_code),
      networkAdviceCode: strOrNull(error.network_advice_code),
    };
  }
  if (status === 409 || code === "idempotency_key_in_use") return { kind: "conflict" };
  if (status === undefined || status >= 500 || status === 429) {
    return {
      kind: "unknown",
      reason: `provider answered ${status ?? "nothing"}: ${String(error.message ?? "")}`,
    };
  }
  return {
    kind: "rejected",
    code: code ?? String(type ?? "invalid_request_error"),
    message: String(error.message ?? ""),
  };
}
