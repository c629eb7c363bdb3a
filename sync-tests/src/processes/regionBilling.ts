/**
 * Billing inside a cloud region process: the reconciler over this region's verified site ledgers,
 * posting to the operator's one PostgreSQL financial ledger and paying through a Stripe-wire payment
 * endpoint (the test's PaymentSimulator behind StripeWireServer), so several region processes bill
 * the same sites against the same database and the same provider, as production regions would.
 */
import type { Logger } from "pino";
import {
  contractId,
  cryptoRandom,
  parseJsonKeepingNumbers,
  parseTariffs,
  systemClock,
} from "@chargemesh/shared-model";
import {
  BillingReconciler,
  InMemoryNotificationSink,
  InMemoryStandingSink,
  LedgerViewSessionSource,
  OcpiSessionRater,
  StripePaymentProvider,
  currencyCode,
  openPostgresFinancialLedger,
  DEFAULT_HOLD_POLICY,
} from "@chargemesh/cloud-peer";
import type {
  AccountDirectory,
  AccountId,
  BillingAccount,
  CloudPeer,
  ReconcileReport,
} from "@chargemesh/cloud-peer";

export interface RegionBillingArgs {
  readonly postgresUrl: string;
  /** The Stripe-wire payment endpoint on 127.0.0.1. */
  readonly stripePort: number;
  /** An OCPI 2.2.1 tariff (or a list of versions), as JSON text. */
  readonly tariffJson: string;
  readonly timeZone: string;
  /** The one account on file that pays for every contract of the test's sites, and its card. */
  readonly account: { readonly accountId: string; readonly paymentMethod: string };
}

export interface RegionBilling {
  /** Runs passes until one does nothing (at most 20); the figures summed over the passes. */
  pass(): Promise<ReconcileReport>;
  close(): Promise<void>;
}

/** Opens the shared ledger and builds the reconciler; rejects when PostgreSQL or the tariff is unusable. */
export async function startRegionBilling(
  peer: CloudPeer,
  a: RegionBillingArgs,
  log: Logger,
): Promise<RegionBilling> {
  const json = parseJsonKeepingNumbers(a.tariffJson);
  if (!json.ok) throw json.error;
  const tariffs = parseTariffs(json.value);
  if (!tariffs.ok) throw tariffs.error;
  const ledger = await openPostgresFinancialLedger(a.postgresUrl, cryptoRandom);
  const account: BillingAccount = {
    accountId: a.account.accountId as AccountId,
    tier: "standard",
    currency: currencyCode("EUR"),
    paymentMethod: a.account.paymentMethod,
    customer: null,
    network: "visa",
  };
  const accounts: AccountDirectory = { accountFor: () => account };
  const reconciler = new BillingReconciler({
    ledger,
    provider: new StripePaymentProvider({
      apiKey: "sk_test_region_billing",
      host: "127.0.0.1",
      port: a.stripePort,
      protocol: "http",
      timeoutMs: 10_000,
    }),
    source: new LedgerViewSessionSource({
      siteIds: () => peer.syncState().map((s) => s.siteId),
      ledger: (s) => peer.ledger(s),
    }),
    accounts,
    rater: new OcpiSessionRater(tariffs.value, a.timeZone),
    holdPolicy: DEFAULT_HOLD_POLICY,
    standingSink: new InMemoryStandingSink(),
    notificationSink: new InMemoryNotificationSink(),
    clock: systemClock,
    logger: log,
  });
  return {
    async pass() {
      const sum = {
        sessionsSeen: 0,
        invoicesWritten: 0,
        adjustmentsWritten: 0,
        paymentAttempts: 0,
        waiting: 0,
      };
      for (let i = 0; i < 20; i++) {
        const r = await reconciler.runOnce();
        sum.sessionsSeen = r.sessionsSeen;
        sum.invoicesWritten += r.invoicesWritten;
        sum.adjustmentsWritten += r.adjustmentsWritten;
        sum.paymentAttempts += r.paymentAttempts;
        sum.waiting = r.waiting;
        if (r.invoicesWritten + r.adjustmentsWritten + r.paymentAttempts === 0) break;
      }
      return sum;
    },
    close: () => ledger.close(),
  };
}
