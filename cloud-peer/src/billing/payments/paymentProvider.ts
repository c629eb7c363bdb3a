import type { CardNetwork } from "../billingTypes.js";

/** Who starts a payment: the customer present (in the app, at the stall) or the merchant on file. */
export type Initiator = "customer" | "merchant";

export interface AuthorizeRequest {
  /** Carried unchanged through every retry of this request until its outcome is known. */
  readonly idempotencyKey: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly customer: string | null;
  readonly initiatedBy: Initiator;
  readonly sessionId: string;
}

export interface CaptureRequest {
  readonly idempotencyKey: string;
  readonly providerRef: string;
  /** At most the authorized amount; the rest of the hold is released. */
  readonly amountMinor: bigint;
}

export interface ReleaseRequest {
  readonly idempotencyKey: string;
  readonly providerRef: string;
}

export type ChargeRequest = AuthorizeRequest;

export interface RefundRequest {
  readonly idempotencyKey: string;
  readonly providerRef: string;
  readonly amountMinor: bigint;
}

/** What a provider call came to. Only `unknown` and `conflict` leave the outcome open. */
export type PaymentResult =
  | {
      readonly kind: "succeeded";
      readonly providerRef: string;
      readonly amountMinor: bigint;
      /** For an authorization: when the hold lapses (ms since the epoch). */
      readonly expiresAtMs: number | null;
    }
  | {
      readonly kind: "declined";
      readonly providerRef: string | null;
      /** The provider's decline code (Stripe's `decline_code`, e.g. `insufficient_funds`). */
      readonly code: string;
      readonly network: CardNetwork;
      /** The card network's response code (Visa `05`, `51`, ...), when given. */
      readonly networkDeclineCode: string | null;
      /** Mastercard's merchant advice code (`03`, `21`, ...), when given. */
      readonly networkAdviceCode: string | null;
    }
  /** Timed out or the connection broke: the charge may or may not have happened. Retry with the same key. */
  | { readonly kind: "unknown"; readonly reason: string }
  /** Another request with the same idempotency key is in flight. Retry later with the same key. */
  | { readonly kind: "conflict" }
  /** The provider refused the request itself (expired hold, amount above the hold, key reused with other parameters). */
  | { readonly kind: "rejected"; readonly code: string; readonly message: string };

/**
 * A card-payment provider, shaped after card practice: authorize (hold) at session begin, capture
 * at most the held amount at the end (the rest is released), release an unused hold, charge off-session
 * when no hold covers the amount, refund. Every call carries an idempotency key; implementations never
 * throw for a provider or network failure: it is a `PaymentResult`.
 */
export interface PaymentProvider {
  readonly name: string;
  authorize(request: AuthorizeRequest): Promise<PaymentResult>;
  capture(request: CaptureRequest): Promise<PaymentResult>;
  release(request: ReleaseRequest): Promise<PaymentResult>;
  charge(request: ChargeRequest): Promise<PaymentResult>;
  refund(request: RefundRequest): Promise<PaymentResult>;
}
