import type { ContractId } from "@chargemesh/shared-model";
import type { AccountId, BillingAccount } from "./billingTypes.js";

/** How much to hold when the cloud learns of a session's begin (by policy and membership tier). */
export interface HoldPolicy {
  holdAmountMinor(account: BillingAccount): bigint;
}

/** A hold amount per tier, in the account's currency's minor units. */
export function tierHoldPolicy(amounts: Readonly<Record<BillingAccount["tier"], bigint>>): HoldPolicy {
  return { holdAmountMinor: (account) => amounts[account.tier] };
}

/** The hold the embedded default and the region processes place: 50.00 (100.00 for fleets) in minor units. */
export const DEFAULT_HOLD_POLICY: HoldPolicy = tierHoldPolicy({
  standard: 5_000n,
  member: 5_000n,
  fleet: 10_000n,
});

/** An account's standing as sites must apply it (the config document's `accountStanding`). */
export interface StandingChange {
  readonly accountId: AccountId;
  /** The contracts (eMAIDs) of the account that sites see. */
  readonly contractIds: readonly ContractId[];
  readonly standing: "good" | "blocked";
  /** Increases with every change of this account's standing; a sink ignores a version it has seen. */
  readonly version: number;
  readonly reason: string;
}

/**
 * Where standing changes go (the lead wires it into the site config documents). Must be idempotent
 * by (accountId, version); a throw leaves the change in the outbox to be delivered again.
 */
export interface StandingSink {
  applyStanding(change: StandingChange): Promise<void>;
}

/** A message to the account holder (decline, debt, debt settled). Idempotent by `dedupeKey`. */
export interface BillingNotification {
  readonly dedupeKey: string;
  readonly accountId: AccountId;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface NotificationSink {
  notify(notification: BillingNotification): Promise<void>;
}

/** Test hook: called between the reconciler's steps; a chaos test throws from it to crash the step. */
export type CrashPoint = (point: string) => void;
