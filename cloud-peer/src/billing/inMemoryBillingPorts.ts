import type { ContractId } from "@chargemesh/shared-model";
import type { BillingNotification, NotificationSink, StandingChange, StandingSink } from "./billingPorts.js";
import type { AccountDirectory, BillingAccount } from "./billingTypes.js";

/** Accounts held in memory, by contract (the embedded default and tests). */
export class InMemoryAccountDirectory implements AccountDirectory {
  private readonly byContract = new Map<string, BillingAccount>();
  set(contract: ContractId, account: BillingAccount): void {
    this.byContract.set(contract, account);
  }
  accountFor(contract: ContractId): BillingAccount | null {
    return this.byContract.get(contract) ?? null;
  }
}

/** Keeps the latest standing per account (ignoring versions it has passed) and every change applied. */
export class InMemoryStandingSink implements StandingSink {
  readonly applied: StandingChange[] = [];
  private readonly latest = new Map<string, StandingChange>();
  async applyStanding(change: StandingChange): Promise<void> {
    const prev = this.latest.get(change.accountId);
    if (prev && prev.version >= change.version) return;
    this.latest.set(change.accountId, change);
    this.applied.push(change);
  }
  standingOf(account: string): StandingChange["standing"] {
    return this.latest.get(account)?.standing ?? "good";
  }
}

/** Keeps every notification once (by dedupe key). */
export class InMemoryNotificationSink implements NotificationSink {
  readonly sent = new Map<string, BillingNotification>();
  async notify(n: BillingNotification): Promise<void> {
    if (!this.sent.has(n.dedupeKey)) this.sent.set(n.dedupeKey, n);
  }
}
