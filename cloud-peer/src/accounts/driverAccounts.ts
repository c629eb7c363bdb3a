import { scryptSync, timingSafeEqual } from "node:crypto";
import type { AccountSummary, Contract, Vehicle } from "@chargemesh/shared-model/contracts";

/** An account as the cloud holds it: who, the password's scrypt hash, the vehicles and their contracts. */
export interface Account {
  readonly accountId: string;
  readonly name: string;
  readonly email: string;
  readonly passwordSalt: Uint8Array;
  readonly passwordHash: Uint8Array;
  readonly vehicles: readonly Vehicle[];
  readonly contracts: readonly Contract[];
}

const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;

/** The scrypt hash of `password` with `salt` (16 bytes, random per account). */
export function hashPassword(password: string, salt: Uint8Array): Uint8Array {
  return new Uint8Array(scryptSync(password.normalize("NFKC"), salt, HASH_BYTES, SCRYPT));
}

/**
 * The accounts this cloud serves, in memory: by ID, by email (case-insensitive) and by contract
 * (eMAID), so the gateway can tell which account a session's contract belongs to.
 */
export class DriverAccounts {
  private readonly byId = new Map<string, Account>();
  private readonly byEmail = new Map<string, Account>();
  private readonly byContract = new Map<string, Account>();

  /** Adds an account; throws a RangeError when its ID, email or a contract is taken by another account. */
  add(account: Account): void {
    const email = account.email.toLowerCase();
    if (this.byId.has(account.accountId)) throw new RangeError(`account ${account.accountId} exists`);
    if (this.byEmail.has(email)) throw new RangeError(`email ${account.email} is taken`);
    for (const c of account.contracts)
      if (this.byContract.has(c.contractId))
        throw new RangeError(`contract ${c.contractId} belongs to another account`);
    this.byId.set(account.accountId, account);
    this.byEmail.set(email, account);
    for (const c of account.contracts) this.byContract.set(c.contractId, account);
  }

  /** The account whose email and password match, or null (same cost whether or not the email exists). */
  signIn(email: string, password: string): Account | null {
    const account = this.byEmail.get(email.toLowerCase());
    const salt = account?.passwordSalt ?? new Uint8Array(16);
    const hash = hashPassword(password, salt);
    if (!account) return null;
    return timingSafeEqual(hash, account.passwordHash) ? account : null;
  }

  get(accountId: string): Account | null {
    return this.byId.get(accountId) ?? null;
  }

  /** The account holding contract `contractId`, or null. */
  accountOfContract(contractId: string): Account | null {
    return this.byContract.get(contractId) ?? null;
  }

  /** The contracts of `accountId` (empty for an unknown account). */
  contractsOf(accountId: string): ReadonlySet<string> {
    return new Set(this.byId.get(accountId)?.contracts.map((c) => c.contractId) ?? []);
  }

  list(): readonly Account[] {
    return [...this.byId.values()];
  }
}

/** What the API shows of an account. */
export function accountSummary(a: Account): AccountSummary {
  return { accountId: a.accountId, name: a.name, email: a.email };
}
