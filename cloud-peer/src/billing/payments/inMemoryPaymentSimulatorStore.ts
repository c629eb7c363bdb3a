import type { CardNetwork } from "../billingTypes.js";
import type {
  DeclineSpec,
  PaymentSimulatorStore,
  SavedResponse,
  SimMovement,
  StoredIntent,
} from "./paymentSimulatorStore.js";

/**
 * The payment simulator's state in this process's memory (tests, benches): lost when the process
 * ends. Values are copied in and out, and a transaction that throws is undone write by write, so it
 * behaves as the SQLite store does.
 */
export class InMemoryPaymentSimulatorStore implements PaymentSimulatorStore {
  private readonly cards = new Map<string, { network: CardNetwork; declines: DeclineSpec[] }>();
  private readonly intents = new Map<string, StoredIntent>();
  private readonly saved = new Map<string, SavedResponse>();
  private readonly moved: SimMovement[] = [];
  private undo: (() => void)[] | null = null;

  transaction<T>(work: () => T): T {
    if (this.undo) return work();
    const undo: (() => void)[] = [];
    this.undo = undo;
    try {
      return work();
    } catch (e) {
      for (const step of undo.reverse()) step();
      throw e;
    } finally {
      this.undo = null;
    }
  }

  /** Remembers how to restore `map`'s entry at `key` as it is now, when inside a transaction. */
  private remember<V>(map: Map<string, V>, key: string): void {
    if (!this.undo) return;
    const had = map.has(key);
    const before = map.get(key);
    this.undo.push(() => (had ? map.set(key, before as V) : map.delete(key)));
  }

  cardNetwork(paymentMethod: string): CardNetwork | null {
    return this.cards.get(paymentMethod)?.network ?? null;
  }

  putCard(paymentMethod: string, network: CardNetwork): void {
    this.remember(this.cards, paymentMethod);
    const declines = this.cards.get(paymentMethod)?.declines ?? [];
    this.cards.set(paymentMethod, { network, declines });
  }

  pushDeclines(paymentMethod: string, declines: readonly DeclineSpec[]): void {
    const card = this.cards.get(paymentMethod);
    if (!card) throw new Error(`unknown card ${paymentMethod}`);
    this.remember(this.cards, paymentMethod);
    this.cards.set(paymentMethod, {
      ...card,
      declines: [
        ...card.declines,
        ...declines.map((d) => ({ ...d, networkAdviceCode: d.networkAdviceCode ?? null })),
      ],
    });
  }

  shiftDecline(paymentMethod: string): DeclineSpec | null {
    const card = this.cards.get(paymentMethod);
    if (!card || card.declines.length === 0) return null;
    this.remember(this.cards, paymentMethod);
    const [next, ...rest] = card.declines;
    this.cards.set(paymentMethod, { ...card, declines: rest });
    return copy(next!);
  }

  intent(id: string): StoredIntent | null {
    const pi = this.intents.get(id);
    return pi ? copy(pi) : null;
  }

  putIntent(intent: StoredIntent): void {
    this.remember(this.intents, intent.id);
    this.intents.set(intent.id, copy(intent));
  }

  savedResponse(key: string): SavedResponse | null {
    const s = this.saved.get(key);
    return s ? copy(s) : null;
  }

  saveResponse(key: string, saved: SavedResponse): void {
    this.remember(this.saved, key);
    this.saved.set(key, copy(saved));
  }

  forgetSavedBefore(cutoffMs: number): void {
    for (const [k, v] of this.saved)
      if (v.atMs < cutoffMs) {
        this.remember(this.saved, k);
        this.saved.delete(k);
      }
  }

  addMovement(movement: SimMovement): void {
    const at = this.moved.length;
    this.undo?.push(() => void this.moved.splice(at));
    this.moved.push({ ...movement });
  }

  movements(sessionId?: string): SimMovement[] {
    return this.moved
      .filter((m) => sessionId === undefined || m.sessionId === sessionId)
      .map((m) => ({ ...m }));
  }

  close(): void {}
}

function copy<T>(v: T): T {
  return structuredClone(v);
}
