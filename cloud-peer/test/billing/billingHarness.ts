import { SeededRandom, VirtualClock, contractId } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { BillingReconciler } from "../../src/billing/billingReconciler.js";
import type { CrashPoint } from "../../src/billing/billingPorts.js";
import { tierHoldPolicy } from "../../src/billing/billingPorts.js";
import { accountId, currencyCode } from "../../src/billing/billingTypes.js";
import type {
  BillableSession,
  BillableSessionSource,
  BillingAccount,
} from "../../src/billing/billingTypes.js";
import { FlatTariffRater } from "../../src/billing/flatTariffRater.js";
import {
  InMemoryAccountDirectory,
  InMemoryNotificationSink,
  InMemoryStandingSink,
} from "../../src/billing/inMemoryBillingPorts.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import type { PaymentProvider } from "../../src/billing/payments/paymentProvider.js";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { SignedRecordSessionSource } from "../../src/billing/signedRecordSessionSource.js";
import type { SiteLedgerSlice } from "../../src/billing/signedRecordSessionSource.js";
import { SignedMeterChain, TestOperator } from "./signedMeterChain.js";

export const CONTRACT_A = contractId("DE-ABC-C00000001-1");
export const CONTRACT_B = contractId("DE-ABC-C00000002-2");
export const CONTRACT_M = contractId("DE-ABC-C00000003-3");

/** 40 cents/kWh + 50 cents session fee, 19 % VAT; holds of 30 EUR (standard) and 50 EUR (member). */
export const TARIFFS = [
  { id: "std-2026", energyMinorPerKWh: 40, sessionFeeMinor: 50, currency: "EUR", validFromMs: 0 },
];

/** Everything a reconciler runs against, over one ledger; sessions come from real signed meter chains. */
export class BillingHarness {
  readonly clock = new VirtualClock(Date.UTC(2026, 5, 1, 8));
  readonly operator = new TestOperator();
  readonly sim = new PaymentSimulator(this.clock, new SeededRandom(11));
  readonly provider: PaymentProvider;
  readonly accounts = new InMemoryAccountDirectory();
  readonly standing = new InMemoryStandingSink();
  readonly notifications = new InMemoryNotificationSink();
  readonly rater = new FlatTariffRater(TARIFFS, 1900, 1000);
  readonly chains: SignedMeterChain[] = [];
  /** Replaces what the source yields for a chain (late records, partial sync). */
  readonly sliceOverride = new Map<SignedMeterChain, SiteLedgerSlice>();
  readonly source: BillableSessionSource;

  constructor(
    readonly ledger: FinancialLedger,
    provider?: (sim: PaymentSimulator) => PaymentProvider,
  ) {
    this.provider = provider ? provider(this.sim) : new SimulatedPaymentProvider(this.sim);
    const verified = new SignedRecordSessionSource(
      () => this.chains.map((c) => this.sliceOverride.get(c) ?? c.slice(`site-${c.meter}`)),
      this.operator.operatorKeys,
      nodeEd25519,
    );
    this.source = verified;
    this.addAccount(CONTRACT_A, "acct-a", "pm_a", "visa", "standard");
    this.addAccount(CONTRACT_B, "acct-b", "pm_b", "mastercard", "standard");
    this.addAccount(CONTRACT_M, "acct-m", "pm_m", "visa", "member");
  }

  addAccount(
    contract: ReturnType<typeof contractId>,
    id: string,
    pm: string,
    network: BillingAccount["network"],
    tier: BillingAccount["tier"],
  ): void {
    this.sim.addCard(pm, network);
    this.accounts.set(contract, {
      accountId: accountId(id),
      tier,
      currency: currencyCode("EUR"),
      paymentMethod: pm,
      customer: null,
      network,
    });
  }

  chain(name: string): SignedMeterChain {
    const c = new SignedMeterChain(this.operator, name, this.clock.now());
    this.chains.push(c);
    return c;
  }

  reconciler(
    crashPoint?: CrashPoint,
    ledger: FinancialLedger = this.ledger,
    provider: PaymentProvider = this.provider,
  ): BillingReconciler {
    return new BillingReconciler({
      ledger,
      provider,
      source: this.source,
      accounts: this.accounts,
      rater: this.rater,
      holdPolicy: tierHoldPolicy({ standard: 3000n, member: 5000n, fleet: 10000n }),
      standingSink: this.standing,
      notificationSink: this.notifications,
      clock: this.clock,
      ...(crashPoint ? { crashPoint } : {}),
    });
  }

  /** The sessions the source yields now. */
  async sessions(): Promise<BillableSession[]> {
    const out: BillableSession[] = [];
    for await (const s of this.source.sessions()) out.push(s);
    return out;
  }

  /** The invoice total the rater gives each complete session now (what must be collected, in total). */
  async expectedTotals(): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    for (const s of await this.sessions()) {
      if (!s.end) continue;
      const account = this.accounts.accountFor(s.contractId)!;
      const r = this.rater.rate(s, account);
      if (r.ok) out.set(s.sessionId, r.value.totalMinorUnits);
    }
    return out;
  }
}
