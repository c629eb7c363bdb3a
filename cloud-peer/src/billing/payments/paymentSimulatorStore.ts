import type { CardNetwork } from "../billingTypes.js";

/** An API response as the simulator answers it (and saves it under an idempotency key). */
export interface SimResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A scripted decline: the card's next authorization or charge answers with these codes. */
export interface DeclineSpec {
  readonly declineCode: string;
  readonly networkDeclineCode: string | null;
  readonly networkAdviceCode?: string | null;
}

/** A money movement the processor made (for test and invariant assertions). */
export interface SimMovement {
  readonly kind: "capture" | "charge" | "refund";
  readonly intentId: string;
  readonly sessionId: string | null;
  readonly amount: number;
}

/** A PaymentIntent as the processor keeps it. Amounts are integer minor units. */
export interface StoredIntent {
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

/** The response saved under an idempotency key, the request's fingerprint and when it was saved. */
export interface SavedResponse {
  readonly fingerprint: string;
  readonly response: SimResponse;
  readonly atMs: number;
}

/**
 * Where the payment simulator keeps its processor state: cards and their scripted declines, payment
 * intents, idempotency keys with their saved responses, and the money movements. Synchronous, one
 * writer. Values passed in or returned are copies (mutating one changes nothing stored until it is
 * put back). Implementations: InMemoryPaymentSimulatorStore (gone with the process) and
 * SqlitePaymentSimulatorStore (a file that survives restarts and kills).
 */
export interface PaymentSimulatorStore {
  /** Runs `work` atomically: every write it makes lands, or (when it throws) none does; rethrows. */
  transaction<T>(work: () => T): T;
  /** The network of a registered card, or null. */
  cardNetwork(paymentMethod: string): CardNetwork | null;
  /** Registers a card or changes its network; its scripted declines stay. */
  putCard(paymentMethod: string, network: CardNetwork): void;
  /** Appends scripted declines to a registered card's queue. */
  pushDeclines(paymentMethod: string, declines: readonly DeclineSpec[]): void;
  /** Takes the card's next scripted decline off its queue, or null when none is left. */
  shiftDecline(paymentMethod: string): DeclineSpec | null;
  intent(id: string): StoredIntent | null;
  /** Inserts the intent or replaces the one with its ID. */
  putIntent(intent: StoredIntent): void;
  /** The response saved under an idempotency key (however old), or null. */
  savedResponse(key: string): SavedResponse | null;
  /** Saves (or replaces) the response under an idempotency key. */
  saveResponse(key: string, saved: SavedResponse): void;
  /** Forgets the responses saved before `cutoffMs`. */
  forgetSavedBefore(cutoffMs: number): void;
  addMovement(movement: SimMovement): void;
  /** The movements in the order they were made, all or one session's. */
  movements(sessionId?: string): SimMovement[];
  /** Releases the store (a file store closes its database); idempotent. */
  close(): void;
}
