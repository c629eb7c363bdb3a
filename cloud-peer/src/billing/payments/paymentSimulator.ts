import type { Clock, RandomSource } from "@chargemesh/shared-model";
import type { CardNetwork } from "../billingTypes.js";
import { holdLifetimeMs } from "./cardNetworkRules.js";
import { InMemoryPaymentSimulatorStore } from "./inMemoryPaymentSimulatorStore.js";
import type {
  DeclineSpec,
  PaymentSimulatorStore,
  SavedResponse,
  SimMovement,
  SimResponse,
  StoredIntent,
} from "./paymentSimulatorStore.js";

export type { DeclineSpec, SimMovement, SimResponse } from "./paymentSimulatorStore.js";

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

export type SimOutcome =
  | { readonly type: "response"; readonly response: SimResponse }
  | { readonly type: "timeout"; readonly committed: boolean };

export interface PaymentSimulatorOptions {
  /** How long idempotency keys are kept (at least, and by default, 24 h). */
  readonly idempotencyRetentionMs?: number;
  /** Where the processor state lives (default: this process's memory; SqlitePaymentSimulatorStore survives restarts). */
  readonly store?: PaymentSimulatorStore;
}

const DAY_MS = 24 * 60 * 60 * 1000;

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
 * Its processor state (cards, scripted declines, intents, saved responses, movements) lives in a
 * PaymentSimulatorStore, each request's changes in one transaction committed before it answers: on
 * SqlitePaymentSimulatorStore a process killed between requests loses nothing, and a simulator
 * reopened on the file captures holds made before and replays retained keys. Injected faults, paused
 * requests, in-flight keys and the request counts belong to this process only.
 */
export class PaymentSimulator {
  private readonly store: PaymentSimulatorStore;
  private readonly idempotencyRetentionMs: number;
  private readonly inFlight = new Set<string>();
  private readonly faults: ("before_commit" | "after_commit")[] = [];
  private gate: { reached: () => void; release: Promise<void> } | null = null;
  /** Requests this process received, by operation (counts every attempt, replays included). */
  readonly requests = new Map<SimOperation, number>();

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
    options: PaymentSimulatorOptions = {},
  ) {
    this.idempotencyRetentionMs = options.idempotencyRetentionMs ?? DAY_MS;
    if (this.idempotencyRetentionMs < DAY_MS) throw new RangeError("idempotency keys are kept at least 24 h");
    this.store = options.store ?? new InMemoryPaymentSimulatorStore();
  }

  /**
   * Registers a card (PaymentMethod ID) on a network; true when it is new. A card already on file (e.g.
   * in a reopened store) keeps its scripted declines and takes the network given.
   */
  addCard(paymentMethod: string, network: CardNetwork): boolean {
    return this.store.transaction(() => {
      const known = this.store.cardNetwork(paymentMethod) !== null;
      this.store.putCard(paymentMethod, network);
      return !known;
    });
  }

  /** The next authorizations or charges on this card decline, one spec each, in order. Throws for an unknown card. */
  scriptDeclines(paymentMethod: string, declines: readonly DeclineSpec[]): void {
    this.store.transaction(() => {
      if (this.store.cardNetwork(paymentMethod) === null) throw new Error(`unknown card ${paymentMethod}`);
      this.store.pushDeclines(paymentMethod, declines);
    });
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

  /** Every money movement the processor made, in order (from the store: a reopened file's too). */
  get movements(): readonly SimMovement[] {
    return this.store.movements();
  }

  /** Closes the store (a SQLite file); the simulator answers no more requests. */
  close(): void {
    this.store.close();
  }

  /** A fresh intent ID (drawn again in the unlikely case the store holds it, e.g. a reseeded random). */
  private newIntentId(): string {
    for (;;) {
      const id = this.newId("pi");
      if (!this.store.intent(id)) return id;
    }
  }

  private newId(prefix: string): string {
    return `${prefix}_${Buffer.from(this.random.bytes(12)).toString("hex")}`;
  }

  /** The saved response under `key` while it is retained, else null. */
  private retained(key: string): SavedResponse | null {
    const saved = this.store.savedResponse(key);
    return saved && saved.atMs >= this.clock.now() - this.idempotencyRetentionMs ? saved : null;
  }

  /** Handles one API request; `target` is the intent ID for capture/cancel/retrieve. */
  async request(op: SimOperation, params: SimParams, idempotencyKey: string | null): Promise<SimOutcome> {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
    const fault = this.faults.shift();
    if (fault === "before_commit") return { type: "timeout", committed: false };
    if (op === "retrieve" || idempotencyKey === null) {
      const response = this.store.transaction(() => this.execute(op, params));
      return fault ? { type: "timeout", committed: true } : { type: "response", response };
    }
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
    const prior = this.retained(idempotencyKey);
    if (prior) return replay(prior, fingerprint, fault);
    this.inFlight.add(idempotencyKey);
    try {
      const gate = this.gate;
      this.gate = null;
      if (gate) {
        gate.reached();
        await gate.release;
      } else await new Promise((r) => setImmediate(r));
      // The request's effect, its saved response and the pruning of expired keys commit together.
      const done = this.store.transaction(() => {
        const now = this.clock.now();
        this.store.forgetSavedBefore(now - this.idempotencyRetentionMs);
        const raced = this.store.savedResponse(idempotencyKey);
        if (raced) return { raced, response: null };
        const response = this.execute(op, params);
        this.store.saveResponse(idempotencyKey, { fingerprint, response, atMs: now });
        return { raced: null, response };
      });
      if (done.raced) return replay(done.raced, fingerprint, fault);
      return fault ? { type: "timeout", committed: true } : { type: "response", response: done.response! };
    } finally {
      this.inFlight.delete(idempotencyKey);
    }
  }

  private lapse(pi: StoredIntent): void {
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

  private movement(kind: SimMovement["kind"], pi: StoredIntent, amount: number): void {
    this.store.addMovement({ kind, intentId: pi.id, sessionId: pi.metadata.session_id ?? null, amount });
  }

  private execute(op: SimOperation, p: SimParams): SimResponse {
    if (op === "create") return this.create(p);
    if (op === "refund") return this.refund(p);
    const pi = this.store.intent(p.id ?? "");
    if (!pi)
      return {
        status: 404,
        body: errorBody("invalid_request_error", "resource_missing", `No such payment_intent: '${p.id}'`),
      };
    const response = this.onIntent(op, pi, p);
    this.store.putIntent(pi);
    return response;
  }

  /** Capture, cancel or retrieve on `pi`, changing it in place (the caller stores it). */
  private onIntent(op: SimOperation, pi: StoredIntent, p: SimParams): SimResponse {
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
    this.movement("capture", pi, amount);
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
    const network = this.store.cardNetwork(p.payment_method ?? "");
    if (!network)
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
    const pi: StoredIntent = {
      id: this.newIntentId(),
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
    const decline = this.store.shiftDecline(pi.paymentMethod);
    if (decline) {
      const error = errorBody("card_error", "card_declined", "Your card was declined.");
      const detail = {
        ...(error.error as Record<string, unknown>),
        decline_code: decline.declineCode,
        network_decline_code: decline.networkDeclineCode,
        network_advice_code: decline.networkAdviceCode ?? null,
      };
      pi.lastPaymentError = detail;
      this.store.putIntent(pi);
      return { status: 402, body: { error: { ...detail, payment_intent: this.view(pi) } } };
    }
    if (manual) {
      pi.status = "requires_capture";
      pi.amountCapturable = pi.amount;
      pi.captureBeforeMs = now + holdLifetimeMs(network, p.off_session ? "merchant" : "customer");
      this.store.putIntent(pi);
    } else {
      pi.status = "succeeded";
      pi.amountReceived = pi.amount;
      this.store.putIntent(pi);
      this.movement("charge", pi, pi.amount);
    }
    return { status: 200, body: this.view(pi) };
  }

  private refund(p: SimParams): SimResponse {
    const pi = this.store.intent(p.payment_intent ?? "");
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
    this.store.putIntent(pi);
    this.movement("refund", pi, amount);
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

  private view(pi: StoredIntent): Record<string, unknown> {
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
            network: this.store.cardNetwork(pi.paymentMethod) ?? "unknown",
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
    for (const m of this.store.movements(sessionId)) {
      if (m.kind === "refund") net -= m.amount;
      else net += m.amount;
      if (m.kind === "capture") captures++;
      if (m.kind === "charge") charges++;
    }
    return { net, captures, charges };
  }
}

/** The answer to a request under a retained key: its saved response, or an error for other parameters. */
function replay(prior: SavedResponse, fingerprint: string, fault: "after_commit" | undefined): SimOutcome {
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

function unexpectedState(pi: StoredIntent, view: Record<string, unknown>): SimResponse {
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
