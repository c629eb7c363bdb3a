import type { Brand, ContractId, MeterId, SessionId, SiteId, StallId } from "@chargemesh/shared-model";
import { ChargemeshError } from "@chargemesh/shared-model";

/** The account on file that pays for a contract's sessions (one account may hold several contracts). */
export type AccountId = Brand<string, "AccountId">;
/** An ISO 4217 currency code. */
export type CurrencyCode = Brand<string, "CurrencyCode">;

const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A validated account ID; throws ChargemeshError("invalid_id") on a malformed one. */
export function accountId(value: string): AccountId {
  if (typeof value !== "string" || !ACCOUNT.test(value)) {
    throw new ChargemeshError("invalid_id", `not a valid account ID: ${JSON.stringify(value)}`);
  }
  return value as AccountId;
}

/** A validated currency code (three upper-case letters); throws ChargemeshError("invalid_input"). */
export function currencyCode(value: string): CurrencyCode {
  if (typeof value !== "string" || !/^[A-Z]{3}$/.test(value)) {
    throw new ChargemeshError("invalid_input", `not an ISO 4217 currency code: ${JSON.stringify(value)}`);
  }
  return value as CurrencyCode;
}

/** One signed reading as verified: the record's position, register, meter time and its shipped bytes. */
export interface VerifiedReading {
  readonly seq: number;
  readonly registerWh: number;
  readonly meterTimeMs: number;
  /** The shipped signed record `[bodyBytes, signature]`, byte for byte. */
  readonly signedRecord: Uint8Array;
}

/**
 * A session as billing sees it: facts from the site's converged documents whose signed meter records
 * verified against the operator's trust anchors. `end` is null while the session is still running.
 */
export interface BillableSession {
  readonly sessionId: SessionId;
  readonly siteId: SiteId;
  readonly stallId: StallId;
  readonly meterId: MeterId;
  readonly contractId: ContractId;
  readonly startedAtMs: number;
  readonly begin: VerifiedReading;
  readonly end: VerifiedReading | null;
}

/**
 * Where the reconciler learns of sessions (the lead's site ledger view implements it). Level-triggered:
 * each call yields every session that may still need billing work, begun or complete; yielding one
 * twice is harmless.
 */
export interface BillableSessionSource {
  sessions(): AsyncIterable<BillableSession> | Iterable<BillableSession>;
}

/** Membership tiers; the hold amount and the rating may depend on them. */
export type MembershipTier = "standard" | "member" | "fleet";

/** Card scheme of the account's payment method: decides hold lifetimes and decline-code meaning. */
export type CardNetwork = "visa" | "mastercard" | "other";

/** The account on file for a contract. */
export interface BillingAccount {
  readonly accountId: AccountId;
  readonly tier: MembershipTier;
  readonly currency: CurrencyCode;
  /** The provider's reference of the stored card (Stripe: a PaymentMethod ID). */
  readonly paymentMethod: string;
  /** The provider's customer reference (Stripe: a Customer ID), if any. */
  readonly customer: string | null;
  readonly network: CardNetwork;
}

/** Maps a contract (eMAID) to the account that pays; null for a contract nobody pays for yet. */
export interface AccountDirectory {
  accountFor(contract: ContractId): Promise<BillingAccount | null> | BillingAccount | null;
}
