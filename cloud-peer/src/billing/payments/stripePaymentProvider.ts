import Stripe from "stripe";
import type {
  AuthorizeRequest,
  CaptureRequest,
  ChargeRequest,
  PaymentProvider,
  PaymentResult,
  RefundRequest,
  ReleaseRequest,
} from "./paymentProvider.js";
import { resultFromStripeError, resultFromStripeObject } from "./stripeResultMapping.js";

export interface StripeProviderOptions {
  readonly apiKey: string;
  /** Point the client elsewhere (tests: the simulator's wire server). */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: "http" | "https";
  readonly timeoutMs?: number;
}

function amount(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`amount ${v} out of range`);
  return n;
}

/**
 * The PaymentProvider on Stripe PaymentIntents with manual capture, one to one: authorize = create
 * and confirm with `capture_method: manual`; capture = capture with `amount_to_capture` (Stripe
 * releases the rest); release = cancel; charge = create and confirm with automatic capture; refund =
 * refunds.create. The client never retries by itself: the reconciler repeats a request with the same
 * idempotency key until its outcome is known. Connection errors and timeouts are `unknown`.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = "stripe";
  private readonly stripe: Stripe;

  constructor(options: StripeProviderOptions) {
    this.stripe = new Stripe(options.apiKey, {
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
    });
  }

  private async call(
    work: () => Promise<unknown>,
    expected: "requires_capture" | "succeeded" | "canceled",
  ): Promise<PaymentResult> {
    try {
      return resultFromStripeObject((await work()) as Record<string, unknown>, expected);
    } catch (e) {
      if (e instanceof Stripe.errors.StripeError) {
        if (e.type === "StripeConnectionError" || e.statusCode === undefined)
          return { kind: "unknown", reason: e.message };
        return resultFromStripeError(e.statusCode, (e.raw ?? {}) as Record<string, unknown>);
      }
      return { kind: "unknown", reason: (e as Error).message };
    }
  }

  private createParams(r: AuthorizeRequest, manual: boolean): Stripe.PaymentIntentCreateParams {
    return {
      amount: amount(r.amountMinor),
      currency: r.currency.toLowerCase(),
      payment_method: r.paymentMethod,
      allowed_payment_method_types: ["card"],
      ...(r.customer ? { customer: r.customer } : {}),
      capture_method: manual ? "manual" : "automatic",
      confirm: true,
      ...(r.initiatedBy === "merchant" ? { off_session: true } : {}),
      metadata: { session_id: r.sessionId },
      expand: ["latest_charge"],
    };
  }

  authorize(r: AuthorizeRequest): Promise<PaymentResult> {
    return this.call(
      () =>
        this.stripe.paymentIntents.create(this.createParams(r, true), { idempotencyKey: r.idempotencyKey }),
      "requires_capture",
    );
  }

  capture(r: CaptureRequest): Promise<PaymentResult> {
    return this.call(
      () =>
        this.stripe.paymentIntents.capture(
          r.providerRef,
          { amount_to_capture: amount(r.amountMinor) },
          { idempotencyKey: r.idempotencyKey },
        ),
      "succeeded",
    );
  }

  release(r: ReleaseRequest): Promise<PaymentResult> {
    return this.call(
      () => this.stripe.paymentIntents.cancel(r.providerRef, {}, { idempotencyKey: r.idempotencyKey }),
      "canceled",
    );
  }

  charge(r: ChargeRequest): Promise<PaymentResult> {
    return this.call(
      () =>
        this.stripe.paymentIntents.create(this.createParams(r, false), { idempotencyKey: r.idempotencyKey }),
      "succeeded",
    );
  }

  refund(r: RefundRequest): Promise<PaymentResult> {
    return this.call(
      () =>
        this.stripe.refunds.create(
          { payment_intent: r.providerRef, amount: amount(r.amountMinor) },
          { idempotencyKey: r.idempotencyKey },
        ),
      "succeeded",
    );
  }
}
