import type { Clock } from "@chargemesh/shared-model";

export interface CredentialBudgetOptions {
  /** Failed credentials an address may present before it waits (default 10). */
  readonly failures?: number;
  /** The first wait; it doubles with each further failure while blocked, up to `maxBackoffMs` (default 1 s, 5 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A clean address forgets its failures after this long (default 10 min). */
  readonly forgetAfterMs?: number;
  /** Addresses tracked at most; the oldest are forgotten first (default 10,000). */
  readonly maxAddresses?: number;
}

interface Entry {
  failures: number;
  blockedUntilMs: number;
  backoffMs: number;
  lastFailureMs: number;
}

/**
 * A per-address budget for failed credentials (sign-in passwords, account, session and operator
 * tokens), applied before any credential is checked: past the budget an address waits with
 * exponential backoff. Bounded memory. Never throws.
 */
export class CredentialBudget {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<CredentialBudgetOptions>;
  refusals = 0;

  constructor(
    private readonly clock: Clock,
    opts: CredentialBudgetOptions = {},
  ) {
    this.o = {
      failures: opts.failures ?? 10,
      backoffMs: opts.backoffMs ?? 1_000,
      maxBackoffMs: opts.maxBackoffMs ?? 300_000,
      forgetAfterMs: opts.forgetAfterMs ?? 600_000,
      maxAddresses: opts.maxAddresses ?? 10_000,
    };
  }

  /** How long `address` must still wait before presenting a credential (0: it may now). */
  waitMs(address: string): number {
    const e = this.entries.get(address);
    if (!e) return 0;
    const now = this.clock.now();
    if (now - e.lastFailureMs > this.o.forgetAfterMs) {
      this.entries.delete(address);
      return 0;
    }
    const wait = Math.max(0, e.blockedUntilMs - now);
    if (wait > 0) this.refusals++;
    return wait;
  }

  /** Records a failed credential from `address`. */
  fail(address: string): void {
    const now = this.clock.now();
    let e = this.entries.get(address);
    if (!e) {
      if (this.entries.size >= this.o.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: 0, blockedUntilMs: 0, backoffMs: this.o.backoffMs, lastFailureMs: now };
      this.entries.set(address, e);
    }
    e.failures++;
    e.lastFailureMs = now;
    if (e.failures >= this.o.failures) {
      e.blockedUntilMs = now + e.backoffMs;
      e.backoffMs = Math.min(this.o.maxBackoffMs, e.backoffMs * 2);
    }
  }

  /** A good credential from `address` clears its failures. */
  succeed(address: string): void {
    this.entries.delete(address);
  }
}
