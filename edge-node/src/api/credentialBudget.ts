import type { Clock } from "@chargemesh/shared-model";
import type { LocalApiLimits } from "./apiLimits.js";

interface AddressRecord {
  lastFailureMs: number;
  failures: number;
  blockedUntilMs: number;
}

/**
 * A per-address budget for failed credentials: `failedCredentialBudget` failures are free (forgotten after a quiet `failureWindowMs`);
 * each further failure blocks the address for a backoff that doubles (base, 2x, 4x ... up to the
 * maximum). While blocked, every credential from the address is refused unchecked, so guessing costs
 * time. Holds at most `maxTrackedAddresses` addresses (the oldest is forgotten first).
 */
export class CredentialBudget {
  private readonly byAddress = new Map<string, AddressRecord>();

  constructor(
    private readonly limits: Pick<
      LocalApiLimits,
      "failedCredentialBudget" | "failureWindowMs" | "baseBackoffMs" | "maxBackoffMs" | "maxTrackedAddresses"
    >,
    private readonly clock: Clock,
  ) {}

  /** Milliseconds until the address may present a credential again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const r = this.byAddress.get(address);
    return r ? Math.max(0, r.blockedUntilMs - this.clock.now()) : 0;
  }

  /** Counts one failed credential; returns the backoff it starts, ms (0 while within budget). */
  failed(address: string): number {
    const now = this.clock.now();
    const held = this.byAddress.get(address);
    // Failures are forgotten after a quiet window that starts when the last failure (or its block) ended.
    const quiet =
      held &&
      now >= held.blockedUntilMs &&
      now - Math.max(held.lastFailureMs, held.blockedUntilMs) > this.limits.failureWindowMs;
    const r = held && !quiet ? held : { lastFailureMs: now, failures: 0, blockedUntilMs: 0 };
    this.byAddress.delete(address);
    this.byAddress.set(address, r);
    while (this.byAddress.size > this.limits.maxTrackedAddresses)
      this.byAddress.delete(this.byAddress.keys().next().value!);
    r.lastFailureMs = now;
    r.failures++;
    const over = r.failures - this.limits.failedCredentialBudget;
    if (over <= 0) return 0;
    const backoff = Math.min(
      this.limits.maxBackoffMs,
      this.limits.baseBackoffMs * 2 ** Math.min(30, over - 1),
    );
    r.blockedUntilMs = now + backoff;
    return backoff;
  }

  /** Addresses tracked now (for metrics and tests). */
  size(): number {
    return this.byAddress.size;
  }
}
