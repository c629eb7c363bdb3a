import { join } from "node:path";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Clock, ContractId, OcpiTariff, RandomSource } from "@chargemesh/shared-model";
import type { CloudPeer } from "../sync/cloudPeer.js";
import { BillingReconciler } from "./billingReconciler.js";
import type { ReconcileReport } from "./billingReconciler.js";
import { BillingMetrics } from "./billingMetrics.js";
import { DEFAULT_HOLD_POLICY } from "./billingPorts.js";
import type { StandingSink } from "./billingPorts.js";
import { InMemoryAccountDirectory, InMemoryNotificationSink } from "./inMemoryBillingPorts.js";
import type { BillingAccount, CardNetwork } from "./billingTypes.js";
import { LedgerViewSessionSource } from "./ledgerViewSessionSource.js";
import { OcpiSessionRater } from "./ocpiSessionRater.js";
import { openSqliteFinancialLedger } from "./ledger/openFinancialLedger.js";
import type { FinancialLedger } from "./ledger/financialLedger.js";
import { PaymentSimulator } from "./payments/paymentSimulator.js";
import { SqlitePaymentSimulatorStore } from "./payments/sqlitePaymentSimulatorStore.js";
import { CardsOnFile } from "./cardsOnFile.js";
import type { DeclineSpec } from "./payments/paymentSimulator.js";
import type { BillingView } from "../http/billingView.js";
import { LedgerBillingView } from "./ledgerBillingView.js";
import { SimulatedPaymentProvider } from "./payments/simulatedPaymentProvider.js";

export interface EmbeddedBillingOptions {
  readonly peer: CloudPeer;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The OCPI tariff (or its versions) every site's sessions are rated with, in `timeZone`. */
  readonly tariffs: readonly OcpiTariff[];
  readonly timeZone: string;
  /** The accounts on file: which contract pays with which card (more with `addAccounts`). */
  readonly accounts: readonly AccountOnFile[];
  readonly log: Logger;
  /** How often the reconciler makes a pass (default 10 s). */
  readonly everyMs?: number;
  /** Where the billing metrics register (e.g. the registry the cloud's /metrics serves); absent, their own. */
  readonly registry?: Registry;
}

/** An account on file and the contracts (eMAIDs) it pays for. */
export interface AccountOnFile {
  readonly account: BillingAccount;
  readonly contracts: readonly ContractId[];
  /** The simulated card's next answers are these declines, in order (a demo of the decline path). */
  readonly declines?: readonly DeclineSpec[];
}

/** What the financial ledger holds in all, for an operator's summary. Money in minor units. */
export interface BillingTotals {
  readonly invoices: number;
  /** Sessions with a captured (succeeded) payment, and the amount captured. */
  readonly sessionsPaid: number;
  readonly capturedMinor: bigint;
  /** Payments declined and now owed as debt. */
  readonly paymentsDeclined: number;
}

export interface EmbeddedBilling {
  readonly ledger: FinancialLedger;
  readonly metrics: BillingMetrics;
  /** Receipts, standing and settling for the cloud API (`startCloudApi`'s `billing`). */
  readonly view: BillingView;
  /** Puts more accounts on file (a contract already on file keeps its account, an account its card). */
  addAccounts(accounts: readonly AccountOnFile[]): void;
  /** Invoices and captures in the ledger (all peers' writes, not only this process's). Rejects on a database error. */
  totals(): Promise<BillingTotals>;
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
 * every site's config document. Passes run one at a time; a failed pass is logged and retried. A driver
 * may replace the card on file with one of Stripe's test tokens (`SIMULATOR_TEST_CARDS`): the simulator
 * gets a fresh card for the account on that network, which pays from then on.
 */
export function startEmbeddedBilling(o: EmbeddedBillingOptions): EmbeddedBilling {
  const ledger = openSqliteFinancialLedger(join(o.dataDir, "billing.sqlite"), o.random);
  // The simulator keeps its intents and idempotency keys beside the ledger, so holds made before a
  // restart are captured after it.
  const simulator = new PaymentSimulator(o.clock, o.random, {
    store: new SqlitePaymentSimulatorStore(join(o.dataDir, "payment-simulator.sqlite")),
  });
  const cardsOnFile = CardsOnFile.open(join(o.dataDir, "cards-on-file.json"), o.log, o.clock.now());
  const accounts = new InMemoryAccountDirectory();
  const byId = new Map<string, BillingAccount>();
  /** The contracts each account pays for (those the directory maps to it). */
  const contractsOf = new Map<string, ContractId[]>();
  const addAccounts = (list: readonly AccountOnFile[]) => {
    for (const { account: opened, contracts, declines } of list) {
      // A card the driver put on file before a restart replaces the one the account was opened with.
      const replaced = cardsOnFile.get(opened.accountId);
      const account = replaced ? { ...opened, ...replaced } : opened;
      if (!byId.has(account.accountId)) {
        // A card already on file (from before a restart) keeps the declines it has left.
        if (simulator.addCard(account.paymentMethod, account.network) && declines?.length && !replaced)
          simulator.scriptDeclines(account.paymentMethod, declines);
        byId.set(account.accountId, account);
        contractsOf.set(account.accountId, []);
      }
      const held = byId.get(account.accountId)!;
      for (const c of contracts)
        if (!accounts.accountFor(c)) {
          accounts.set(c, held);
          contractsOf.get(account.accountId)!.push(c);
        }
    }
  };
  addAccounts(o.accounts);
  const replaceCard = (accountId: string, paymentMethod: string) => {
    const held = byId.get(accountId);
    if (!held) return null;
    if (!Object.hasOwn(SIMULATOR_TEST_CARDS, paymentMethod)) return "unknown_payment_method" as const;
    const network = SIMULATOR_TEST_CARDS[paymentMethod]!;
    const card = `pm_sim_${network}_${accountId}_${Buffer.from(o.random.bytes(8)).toString("hex")}`;
    simulator.addCard(card, network);
    cardsOnFile.set(accountId, { paymentMethod: card, network });
    const replaced: BillingAccount = { ...held, paymentMethod: card, network };
    byId.set(accountId, replaced);
    for (const c of contractsOf.get(accountId) ?? []) accounts.set(c, replaced);
    o.log.info({ account: accountId, network }, "card on file replaced (payment simulator)");
    return replaced;
  };
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
  const metrics = new BillingMetrics(o.registry);
  const reconciler = new BillingReconciler({
    ledger,
    provider: new SimulatedPaymentProvider(simulator),
    source: new LedgerViewSessionSource({
      siteIds: () => o.peer.syncState().map((s) => s.siteId),
      ledger: (s) => o.peer.ledger(s),
    }),
    accounts,
    rater: new OcpiSessionRater(o.tariffs, o.timeZone),
    holdPolicy: DEFAULT_HOLD_POLICY,
    standingSink,
    notificationSink: new InMemoryNotificationSink(),
    clock: o.clock,
    logger: o.log,
    metrics,
  });
  let last: ReconcileReport | null = null;
  // Passes run one at a time: the timer's, and those asked for (runNow, settling a debt).
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  let timerPassQueued = false;
  const pass = () => {
    if (timerPassQueued) return;
    timerPassQueued = true;
    serially(() => reconciler.runOnce())
      .then((r) => void (last = r))
      .catch((e) =>
        o.log.error({ err: (e as Error).message }, "billing pass failed; retried at the next pass"),
      )
      .finally(() => (timerPassQueued = false));
  };
  const runUntilQuiet = (maxPasses: number) =>
    serially(async () => (last = await reconciler.runUntilQuiet(maxPasses)));
  const timer = setInterval(pass, o.everyMs ?? 10_000);
  timer.unref();
  o.log.warn("billing pays through the payment simulator: no real card is charged");
  const view = new LedgerBillingView({
    ledger,
    clock: o.clock,
    accountOf: (id) => byId.get(id) ?? null,
    runNow: () => runUntilQuiet(5),
    payments: { through: "simulator", testPaymentMethods: Object.keys(SIMULATOR_TEST_CARDS) },
    replaceCard,
  });
  return {
    ledger,
    metrics,
    view,
    addAccounts,
    totals: () => totalsOf(ledger),
    lastReport: () => last,
    runNow: (maxPasses = 20) => runUntilQuiet(maxPasses),
    async stop() {
      clearInterval(timer);
      await queue;
      await ledger.close();
      simulator.close();
    },
  };
}

/** Stripe's test tokens the embedded billing accepts as a replacement card, and the network of each. */
export const SIMULATOR_TEST_CARDS: Readonly<Record<string, CardNetwork>> = {
  pm_card_visa: "visa",
  pm_card_mastercard: "mastercard",
};

async function totalsOf(ledger: FinancialLedger): Promise<BillingTotals> {
  const [invoices] = await ledger.sql.query("SELECT COUNT(*) AS n FROM invoices");
  const [paid] = await ledger.sql.query(
    "SELECT COUNT(DISTINCT session_id) AS n, COALESCE(SUM(amount_minor), 0) AS minor FROM payments WHERE status = 'succeeded'",
  );
  const [declined] = await ledger.sql.query(
    "SELECT COUNT(*) AS n FROM payments WHERE status = 'declined' OR in_debt = 1",
  );
  return {
    invoices: Number(invoices!.n),
    sessionsPaid: Number(paid!.n),
    capturedMinor: BigInt(paid!.minor as bigint | number),
    paymentsDeclined: Number(declined!.n),
  };
}
