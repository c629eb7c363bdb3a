import type { Clock, RandomSource } from "@chargemesh/shared-model";
import type { CardNetwork } from "../billingTypes.js";
import { holdLifetimeMs } from "./cardNetworkRules.js";

/**
 * A card processor simulator with Stripe's PaymentIntent semantics, shared by the in-process provider
 * (simulatedPaymentProvider.ts) and the HTTP server in Stripe's wire format (stripeWireServer.ts):
 * - idempotency keys are kept at least `idempotencyRetentionMs` (24 h by default); a replay returns the
 *   saved response (declines included); the same key with other parameters is a 400 `idempotency_error`;
 *   the same key while its first request executes is a 409 `idempotency_key_in_use`;
 * - manual-capture intents hold `amount_capturable` until captured (at most that amount; the rest is
 *   released), cancelled, or lapsed (7 days customer-initiated, 4 days Visa merchant-initiated);
 * - scripted declines per card with decline, network decline and advice codes;
 * - injected timeouts before or after the processor commits.
 */
export type SimOperation = "create" | "capture" | "cancel" | "retrieve" | "refund";

export interface SimParams {
  readonly amount?: number;
  readonly currency?: string;
  readonly payment_method?: string;
  readonly customer?: string | null;
  readonly capture_method?: "manual" | "automatic";
  readonly off_session?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly amount_to_capture?: number;
  readonly payment_intent?: string;
  readonly id?: string;
}

export interface SimResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type SimOutcome =
  | { readonly type: "response"; readonly response: SimResponse }
  | { readonly type: "timeout"; readonly committed: boolean };

export interface DeclineSpec {
  readonly declineCode: string;
  readonly networkDeclineCode: string | null;
  readonly networkAdviceCode?: string | null;
}

interface Card {
  readonly network: CardNetwork;
  readonly declines: DeclineSpec[];
}

interface Intent {
  id: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  customer: string | null;
  captureMethod: "manual" | "automatic";
  status: "requires_capture" | "succeeded" | "canceled" | "requires_payment_method";
  amountCapturable: number;
  amountReceived: number;
  amountRefunded: number;
  metadata: Record<string, string>;
  createdMs: number;
  captureBeforeMs: number | null;
  cancellationReason: string | null;
  lastPaymentError: Record<string, unknown> | null;
}

/** A money movement the processor made (for test and invariant assertions). */
export interface SimMovement {
  readonly kind: "capture" | "charge" | "refund";
  readonly intentId: string;
  readonly sessionId: string | null;
  readonly amount: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class PaymentSimulator {
  private readonly cards = new Map<string, Card>();
  private readonly intents = new Map<string, Intent>();
  private readonly saved = new Map<string, { fingerprint: string; response: SimResponse; atMs: number }>();
  private readonly inFlight = new Set<string>();
  private readonly faults: ("before_commit" | "after_commit")[] = [];
  private gate: { reached: () => void; release: Promise<void> } | null = null;
  readonly movements: SimMovement[] = [];
  /** Requests received, by operation (counts every attempt, replays included). */
  readonly requests = new Map<SimOperation, number>();

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly idempotencyRetentionMs = DAY_MS,
  ) {
    if (idempotencyRetentionMs < DAY_MS) throw new RangeError("idempotency keys are kept at least 24 h");
  }

  /** Registers a card (PaymentMethod ID) on a network. */
  addCard(paymentMethod: string, network: CardNetwork): void {
    this.cards.set(paymentMethod, { network, declines: [] });
  }

  /** The next authorizations or charges on this card decline, one spec each, in order. */
  scriptDeclines(paymentMethod: string, declines: readonly DeclineSpec[]): void {
    const card = this.cards.get(paymentMethod);
    if (!card) throw new Error(`unknown card ${paymentMethod}`);
    card.declines.push(...declines);
  }

  /** The next request times out, before or after the processor commits its effect. */
  injectTimeout(when: "before_commit" | "after_commit"): void {
    this.faults.push(when);
  }

  /**
   * The next idempotent request stops while it executes (its key in flight) until `release` is called;
   * `reached` resolves when it got there. For testing concurrent reuse of a key deterministically.
   */
  pauseNext(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    this.gate = { reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: reachedP, release };
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  private newId(prefix: string): string {
    return `${prefix}_${Buffer.from(this.random.bytes(12)).toString("hex")}`;
  }

  private prune(): void {
    const cutoff = this.clock.now() - this.idempotencyRetentionMs;
    for (const [k, v] of this.saved) if (v.atMs < cutoff) this.saved.delete(k);
  }

  /** Handles one API request; `target` is the intent ID for capture/cancel/retrieve. */
  async request(op: SimOperation, params: SimParams, idempotencyKey: string | null): Promise<SimOutcome> {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
    const fault = this.faults.shift();
    if (fault === "before_commit") return { type: "timeout", committed: false };
    if (op === "retrieve" || idempotencyKey === null) {
      const response = this.execute(op, params);
      return fault ? { type: "timeout", committed: true } : { type: "response", response };
    }
    this.prune();
    const fingerprint = `${op}:${JSON.stringify(params, Object.keys(params).sort())}:${JSON.stringify(params.metadata ?? {})}`;
    if (this.inFlight.has(idempotencyKey)) {
      return respond(
        409,
        errorBody(
          "invalid_request_error",
          "idempotency_key_in_use",
          "There is currently another in-progress request using this Idempotent Key.",
        ),
      );
    }
    const prior = this.saved.get(idempotencyKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint) {
        return respond(
          400,
          errorBody(
            "idempotency_error",
            null,
            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
          ),
        );
      }
      return fault ? { type: "timeout", committed: true } : { type: "response", response: prior.response };
    }
    this.inFlight.add(idempotencyKey);
    try {
      const gate = this.gate;
      this.gate = null;
      if (gate) {
        gate.reached();
        await gate.release;
      } else await new Promise((r) => setImmediate(r));
      const response = this.execute(op, params);
      this.saved.set(idempotencyKey, { fingerprint, response, atMs: this.clock.now() });
      return fault ? { type: "timeout", committed: true } : { type: "response", response };
    } finally {
      this.inFlight.delete(idempotencyKey);
    }
  }

  private lapse(pi: Intent): void {
    if (
      pi.status === "requires_capture" &&
      pi.captureBeforeMs !== null &&
      this.clock.now() >= pi.captureBeforeMs
    ) {
      pi.status = "canceled";
      pi.cancellationReason = "automatic";
      pi.amountCapturable = 0;
    }
  }

  private execute(op: SimOperation, p: SimParams): SimResponse {
    if (op === "create") return this.create(p);
    if (op === "refund") return this.refund(p);
    const pi = this.intents.get(p.id ?? "");
    if (!pi)
      return {
        status: 404,
        body: errorBody("invalid_request_error", "resource_missing", `No such payment_intent: '${p.id}'`),
      };
    this.lapse(pi);
    if (op === "retrieve") return { status: 200, body: this.view(pi) };
    if (op === "cancel") {
      if (pi.status !== "requires_capture") return unexpectedState(pi, this.view(pi));
      pi.status = "canceled";
      pi.cancellationReason = "requested_by_customer";
      pi.amountCapturable = 0;
      return { status: 200, body: this.view(pi) };
    }
    if (pi.status !== "requires_capture") {
      if (pi.cancellationReason === "automatic") {
        return {
          status: 400,
          body: errorBody(
            "invalid_request_error",
            "charge_expired_for_capture",
            "The charge has expired for capture.",
            this.view(pi),
          ),
        };
      }
      return unexpectedState(pi, this.view(pi));
    }
    const amount = p.amount_to_capture ?? pi.amountCapturable;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > pi.amountCapturable) {
      return {
        status: 400,
        body: errorBody(
          "invalid_request_error",
          "amount_too_large",
          "amount_to_capture exceeds the authorized amount.",
          this.view(pi),
        ),
      };
    }
    pi.amountReceived = amount;
    pi.amountCapturable = 0;
    pi.status = "succeeded";
    this.movements.push({
      kind: "capture",
      intentId: pi.id,
      sessionId: pi.metadata.session_id ?? null,
      amount,
    });
    return { status: 200, body: this.view(pi) };
  }

  private create(p: SimParams): SimResponse {
    if (!Number.isSafeInteger(p.amount) || (p.amount ?? 0) <= 0 || typeof p.currency !== "string") {
      return {
        status: 400,
        body: errorBody(
          "invalid_request_error",
          "parameter_invalid_integer",
          "amount must be a positive integer",
        ),
      };
    }
    const card = this.cards.get(p.payment_method ?? "");
    if (!card)
      return {
        status: 400,
        body: errorBody(
          "invalid_request_error",
          "resource_missing",
          `No such PaymentMethod: '${p.payment_method}'`,
        ),
      };
    const manual = p.capture_method === "manual";
    const now = this.clock.now();
    const pi: Intent = {
      id: this.newId("pi"),
      amount: p.amount!,
      currency: p.currency,
      paymentMethod: p.payment_method!,
      customer: p.customer ?? null,
      captureMethod: manual ? "manual" : "automatic",
      status: "requires_payment_method",
      amountCapturable: 0,
      amountReceived: 0,
      amountRefunded: 0,
      metadata: { ...(p.metadata ?? {}) },
      createdMs: now,
      captureBeforeMs: null,
      cancellationReason: null,
      lastPaymentError: null,
    };
    this.intents.set(pi.id, pi);
    const decline = card.declines.shift();
    if (decline) {
      const error = errorBody("card_error", "card_declined", "Your card was declined.");
      const detail = {
        ...(error.error as Record<string, unknown>),
        decline_code: decline.declineCode,
        network_decline_code: decline.networkDeclineCode,
        network_advice_code: decline.networkAdviceCode ?? null,
      };
      pi.lastPaymentError = detail;
      return { status: 402, body: { error: { ...detail, payment_intent: this.view(pi) } } };
    }
    if (manual) {
      pi.status = "requires_capture";
      pi.amountCapturable = pi.amount;
      pi.captureBeforeMs = now + holdLifetimeMs(card.network, p.off_session ? "merchant" : "customer");
    } else {
      pi.status = "succeeded";
      pi.amountReceived = pi.amount;
      this.movements.push({
        kind: "charge",
        intentId: pi.id,
        sessionId: pi.metadata.session_id ?? null,
        amount: pi.amount,
      });
    }
    return { status: 200, body: this.view(pi) };
  }

  private refund(p: SimParams): SimResponse {
    const pi = this.intents.get(p.payment_intent ?? "");
    if (!pi)
      return {
        status: 404,
        body: errorBody(
          "invalid_request_error",
          "resource_missing",
          `No such payment_intent: '${p.payment_intent}'`,
        ),
      };
    const amount = p.amount ?? pi.amountReceived - pi.amountRefunded;
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > pi.amountReceived - pi.amountRefunded) {
      return {
        status: 400,
        body: errorBody("invalid_request_error", "amount_too_large", "Refund amount exceeds the charge."),
      };
    }
    pi.amountRefunded += amount;
    this.movements.push({
      kind: "refund",
      intentId: pi.id,
      sessionId: pi.metadata.session_id ?? null,
      amount,
    });
    return {
      status: 200,
      body: {
        id: this.newId("re"),
        object: "refund",
        amount,
        currency: pi.currency,
        payment_intent: pi.id,
        status: "succeeded",
      },
    };
  }

  private view(pi: Intent): Record<string, unknown> {
    return {
      id: pi.id,
      object: "payment_intent",
      amount: pi.amount,
      amount_capturable: pi.amountCapturable,
      amount_received: pi.amountReceived,
      currency: pi.currency,
      capture_method: pi.captureMethod,
      customer: pi.customer,
      payment_method: pi.paymentMethod,
      status: pi.status,
      cancellation_reason: pi.cancellationReason,
      created: Math.floor(pi.createdMs / 1000),
      metadata: pi.metadata,
      last_payment_error: pi.lastPaymentError,
      latest_charge: {
        id: `ch_${pi.id.slice(3)}`,
        object: "charge",
        payment_method_details: {
          type: "card",
          card: {
            network: this.cards.get(pi.paymentMethod)?.network ?? "unknown",
            capture_before: pi.captureBeforeMs === null ? null : Math.floor(pi.captureBeforeMs / 1000),
          },
        },
      },
    };
  }

  /** Money the processor moved for a session: captured + charged - refunded, and the movements. */
  movedFor(sessionId: string): { net: number; captures: number; charges: number } {
    let net = 0;
    let captures = 0;
    let charges = 0;
    for (const m of this.movements) {
      if (m.sessionId !== sessionId) continue;
      if (m.kind === "refund") net -= m.amount;
      else net += m.amount;
      if (m.kind === "capture") captures++;
      if (m.kind === "charge") charges++;
    }
    return { net, captures, charges };
  }
}

function respond(status: number, body: Record<string, unknown>): SimOutcome {
  return { type: "response", response: { status, body } };
}

function errorBody(
  type: string,
  code: string | null,
  message: string,
  paymentIntent?: Record<string, unknown>,
): Record<string, unknown> {
  return { error: { type, code, message, ...(paymentIntent ? { payment_intent: paymentIntent } : {}) } };
}

function unexpectedState(pi: Intent, view: Record<string, unknown>): SimResponse {
  return {
    status: 400,
    body: errorBody(
      "invalid_request_error",
      "payment_intent_unexpected_state",
      `This PaymentIntent's status is ${pi.status}.`,
      view,
    ),
  };
}
