import type { AccountOnFile, AccountId, DeclineSpec, DemoAccountSpec } from "@chargemesh/cloud-peer";
import { currencyCode } from "@chargemesh/cloud-peer";
import type { ContractId } from "@chargemesh/shared-model";

/** The demo driver's sign-in email (its password is a random secret of the data directory). */
export const DEMO_DRIVER_EMAIL = "demo@chargemesh.example";
export const DEMO_DRIVER_ACCOUNT = "acct-demo";
/** The first declining driver's sign-in email (its password: the `DECLINING_DRIVER_PASSWORD_FILE` secret). */
export const DECLINING_DRIVER_EMAIL = "declines@chargemesh.example";
/** The 0600 secret in the cloud's data directory holding the first declining driver's password. */
export const DECLINING_DRIVER_PASSWORD_FILE = "declining-driver-password";

/** The accounts to add for contracts nobody holds yet: the app's sign-in records and billing's cards on file. */
export interface DemoDriverPlan {
  readonly specs: DemoAccountSpec[];
  readonly onFile: AccountOnFile[];
}

/**
 * Who pays for the simulated cars' contracts: the first time, the demo driver (whose password is
 * `demoPassword`) holds the first fifth of the contracts (at least one), sorted by eMAID; every other
 * contract gets an account of its own (`acct-<n>` from `firstAccountNo`, a password nobody is told).
 * Every account pays with a simulated Visa card; the first `declining` of the single-contract accounts
 * have cards the payment simulator declines (insufficient funds, every attempt), so their debt blocks
 * their contract at the sites. With `decliningPassword`, the first of them signs in as
 * `DECLINING_DRIVER_EMAIL` with it (so an operator can walk the path: replace the card, settle).
 * Pure; `fresh` must hold contracts no account holds.
 */
export function planDemoDrivers(
  fresh: readonly ContractId[],
  demoPassword: string | null,
  firstAccountNo: number,
  declining = 0,
  decliningPassword: string | null = null,
): DemoDriverPlan {
  const sorted = [...new Set(fresh)].sort();
  const demoCount = demoPassword === null ? 0 : Math.max(1, Math.ceil(sorted.length / 5));
  const groups: {
    accountId: string;
    email: string;
    name: string;
    password?: string;
    contracts: ContractId[];
    declines?: boolean;
  }[] = [];
  if (demoCount > 0 && sorted.length > 0)
    groups.push({
      accountId: DEMO_DRIVER_ACCOUNT,
      email: DEMO_DRIVER_EMAIL,
      name: "Demo Driver",
      password: demoPassword!,
      contracts: sorted.slice(0, demoCount),
    });
  const others = sorted.slice(demoCount);
  others.forEach((c, i) => {
    const n = firstAccountNo + i;
    const declines = i < declining;
    const signsIn = declines && i === 0 && decliningPassword !== null;
    groups.push({
      accountId: `acct-${n}`,
      email: signsIn ? DECLINING_DRIVER_EMAIL : `driver-${n}@demo.chargemesh.example`,
      name: declines ? `Simulated driver ${n} (card declines)` : `Simulated driver ${n}`,
      ...(signsIn ? { password: decliningPassword } : {}),
      contracts: [c],
      declines,
    });
  });
  return {
    specs: groups.map((g) => ({
      accountId: g.accountId,
      email: g.email,
      name: g.name,
      ...(g.password ? { password: g.password } : {}),
      contracts: g.contracts.map((c, k) => ({
        contractId: c,
        vehicleName: g.contracts.length > 1 ? `Demo car ${k + 1}` : "Demo car",
        batteryWh: 77_000,
        connector: "ccs2" as const,
      })),
    })),
    onFile: groups.map((g) => ({
      account: {
        accountId: g.accountId as AccountId,
        tier: "standard" as const,
        currency: currencyCode("EUR"),
        paymentMethod: `pm_sim_visa_${g.accountId}`,
        customer: null,
        network: "visa" as const,
      },
      contracts: g.contracts,
      ...(g.declines ? { declines: ALWAYS_DECLINES } : {}),
    })),
  };
}

/** Insufficient funds (Visa 51, retryable within the card-network limits), for every attempt the reconciler may make. */
const ALWAYS_DECLINES: readonly DeclineSpec[] = Array.from({ length: 64 }, () => ({
  declineCode: "insufficient_funds",
  networkDeclineCode: "51",
}));
