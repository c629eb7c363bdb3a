import type {
  AuthorizeRequest,
  CaptureRequest,
  ChargeRequest,
  PaymentProvider,
  PaymentResult,
  RefundRequest,
  ReleaseRequest,
} from "./paymentProvider.js";
import type { PaymentSimulator, SimOperation, SimParams } from "./paymentSimulator.js";
import { resultFromStripeError, resultFromStripeObject } from "./stripeResultMapping.js";

function amount(v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`amount ${v} out of range`);
  return n;
}

/** The simulator called in-process, with the same requests the Stripe adapter sends over HTTP. */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = "simulator";
  constructor(private readonly sim: PaymentSimulator) {}

  private async call(
    op: SimOperation,
    params: SimParams,
    key: string,
    expected: "requires_capture" | "succeeded" | "canceled",
  ): Promise<PaymentResult> {
    const outcome = await this.sim.request(op, params, key);
    if (outcome.type === "timeout") return { kind: "unknown", reason: "timeout" };
    const { status, body } = outcome.response;
    if (status >= 200 && status < 300) return resultFromStripeObject(body, expected);
    return resultFromStripeError(status, (body.error ?? {}) as Record<string, unknown>);
  }

  private create(r: AuthorizeRequest, manual: boolean): SimParams {
    return {
      amount: amount(r.amountMinor),
      currency: r.currency.toLowerCase(),
      payment_method: r.paymentMethod,
      customer: r.customer,
      capture_method: manual ? "manual" : "automatic",
      off_session: r.initiatedBy === "merchant",
      metadata: { session_id: r.sessionId },
    };
  }

  authorize(r: AuthorizeRequest): Promise<PaymentResult> {
    return this.call("create", this.create(r, true), r.idempotencyKey, "requires_capture");
  }
  capture(r: CaptureRequest): Promise<PaymentResult> {
    return this.call(
      "capture",
      { id: r.providerRef, amount_to_capture: amount(r.amountMinor) },
      r.idempotencyKey,
      "succeeded",
    );
  }
  release(r: ReleaseRequest): Promise<PaymentResult> {
    return this.call("cancel", { id: r.providerRef }, r.idempotencyKey, "canceled");
  }
  charge(r: ChargeRequest): Promise<PaymentResult> {
    return this.call("create", this.create(r, false), r.idempotencyKey, "succeeded");
  }
  refund(r: RefundRequest): Promise<PaymentResult> {
    return this.call(
      "refund",
      { payment_intent: r.providerRef, amount: amount(r.amountMinor) },
      r.idempotencyKey,
      "succeeded",
    );
  }
}
