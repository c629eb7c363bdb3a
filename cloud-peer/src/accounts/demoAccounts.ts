import type { ConnectorType } from "@chargemesh/shared-model/contracts";
import { DriverAccounts, hashPassword } from "./driverAccounts.js";

/** What a demo account is made from: one vehicle per contract the simulated cars carry. */
export interface DemoAccountSpec {
  /** Absent: `acct-<n>` by position in the specs. */
  readonly accountId?: string;
  readonly email: string;
  /** The sign-in password; absent, one is drawn from `random` (pass one only when it is itself random, e.g. a 0600 secret file). */
  readonly password?: string;
  readonly name: string;
  readonly contracts: readonly {
    readonly contractId: string;
    readonly vehicleName: string;
    readonly batteryWh: number;
    readonly connector: ConnectorType;
  }[];
}

const PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/**
 * Adds demo accounts to `directory`, each with the spec's password or else a fresh one drawn from
 * `random` (never a fixed one: the caller prints it for the user). Returns the sign-in credentials, one per spec. Throws a
 * RangeError when an email or contract is taken.
 */
export function addDemoAccounts(
  directory: DriverAccounts,
  specs: readonly DemoAccountSpec[],
  random: (n: number) => Uint8Array,
): { email: string; password: string; accountId: string }[] {
  return specs.map((spec, i) => {
    const password =
      spec.password ?? [...random(12)].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join("");
    const salt = random(16);
    const accountId = spec.accountId ?? `acct-${i + 1}`;
    directory.add({
      accountId,
      name: spec.name,
      email: spec.email,
      passwordSalt: salt,
      passwordHash: hashPassword(password, salt),
      vehicles: spec.contracts.map((c, k) => ({
        vehicleId: `${accountId}-v${k + 1}`,
        name: c.vehicleName,
        batteryWh: c.batteryWh,
        connector: c.connector,
      })),
      contracts: spec.contracts.map((c, k) => ({
        contractId: c.contractId,
        vehicleId: `${accountId}-v${k + 1}`,
        provider: "chargemesh demo",
        status: "active" as const,
      })),
    });
    return { email: spec.email, password, accountId };
  });
}
