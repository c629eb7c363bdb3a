import { join } from "node:path";
import type { Logger } from "pino";
import type { Clock, ContractId, OcpiTariff, RandomSource } from "@chargemesh/shared-model";
import type { CloudPeer } from "../sync/cloudPeer.js";
import { BillingReconciler } from "./billingReconciler.js";
import type { ReconcileReport } from "./billingReconciler.js";
import { BillingMetrics } from "./billingMetrics.js";
import { tierHoldPolicy } from "./billingPorts.js";
import type { StandingSink } from "./billingPorts.js";
import { InMemoryAccountDirectory, InMemoryNotificationSink } from "./inMemoryBillingPorts.js";
import type { BillingAccount } from "./billingTypes.js";
import { LedgerViewSessionSource } from "./ledgerViewSessionSource.js";
import { OcpiSessionRater } from "./ocpiSessionRater.js";
import { openSqliteFinancialLedger } from "./ledger/openFinancialLedger.js";
import type { FinancialLedger } from "./ledger/financialLedger.js";
import { PaymentSimulator } from "./payments/paymentSimulator.js";
import { SimulatedPaymentProvider } from "./payments/simulatedPaymentProvider.js";

export interface EmbeddedBillingOptions {
  readonly peer: CloudPeer;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The OCPI tariff (or its versions) every site's sessions are rated with, in `timeZone`. */
  readonly tariffs: readonly OcpiTariff[];
  readonly timeZone: string;
  /** The accounts on file: which contract pays with which card. */
  readonly accounts: readonly {
    readonly account: BillingAccount;
    readonly contracts: readonly ContractId[];
  }[];
  readonly log: Logger;
  /** How often the reconciler makes a pass (default 10 s). */
  readonly everyMs?: number;
}

export interface EmbeddedBilling {
  readonly ledger: FinancialLedger;
  readonly metrics: BillingMetrics;
  /** The last pass's figures (null before the first). */
  lastReport(): ReconcileReport | null;
  /** Runs passes now until nothing is left to do now (at most `maxPasses`); rejects when a pass fails. */
  runNow(maxPasses?: number): Promise<ReconcileReport>;
  stop(): Promise<void>;
}

/**
 * Billing for the embedded default: the reconciler over this cloud peer's verified site ledgers,
 * the financial ledger on SQLite in `dataDir`, rated with the OCPI engine, paid through the payment
 * SIMULATOR (no real provider is called: say so wherever this runs), standing changes written into
 * every site's config document. Passes run one at a time; a failed pass is logged and retried.
 */
export function startEmbeddedBilling(o: EmbeddedBillingOptions): EmbeddedBilling {
  const ledger = openSqliteFinancialLedger(join(o.dataDir, "billing.sqlite"), o.random);
  const simulator = new PaymentSimulator(o.clock, o.random);
  const accounts = new InMemoryAccountDirectory();
  for (const { account, contracts } of o.accounts) {
    simulator.addCard(account.paymentMethod, account.network);
    for (const c of contracts) accounts.set(c, account);
  }
  const standingSink: StandingSink = {
    async applyStanding(change) {
      for (const { siteId } of o.peer.syncState())
        o.peer.configs.publish(siteId, (d) => {
          for (const c of change.contractIds) {
            const held = d.accountStanding[c];
            if (!held || held.version < change.version)
              d.accountStanding[c] = { standing: change.standing, version: change.version };
          }
        });
      o.log.info(
        {
          account: change.accountId,
          standing: change.standing,
          version: change.version,
          reason: change.reason,
        },
        "account standing published to sites",
      );
    },
  };
  const metrics = new BillingMetrics();
  const reconciler = new BillingReconciler({
    ledger,
    provider: new SimulatedPaymentProvider(simulator),
    source: new LedgerViewSessionSource({
      siteIds: () => o.peer.syncState().map((s) => s.siteId),
      ledger: (s) => o.peer.ledger(s),
    }),
    accounts,
    rater: new OcpiSessionRater(o.tariffs, o.timeZone),
    holdPolicy: tierHoldPolicy({ standard: 5_000n, member: 5_000n, fleet: 10_000n }),
    standingSink,
    notificationSink: new InMemoryNotificationSink(),
    clock: o.clock,
    logger: o.log,
    metrics,
  });
  let last: ReconcileReport | null = null;
  let running: Promise<void> | null = null;
  const pass = () => {
    running ??= reconciler
      .runOnce()
      .then((r) => void (last = r))
      .catch((e) =>
        o.log.error({ err: (e as Error).message }, "billing pass failed; retried at the next pass"),
      )
      .finally(() => (running = null));
  };
  const timer = setInterval(pass, o.everyMs ?? 10_000);
  timer.unref();
  o.log.warn("billing pays through the payment simulator: no real card is charged");
  return {
    ledger,
    metrics,
    lastReport: () => last,
    async runNow(maxPasses = 20) {
      await running;
      last = await reconciler.runUntilQuiet(maxPasses);
      return last;
    },
    async stop() {
      clearInterval(timer);
      await running;
      await ledger.close();
    },
  };
}
