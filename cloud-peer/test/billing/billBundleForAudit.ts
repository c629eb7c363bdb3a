/**
 * Test fixture (run with tsx by auditor/test/invoiceRecompute.test.ts): bills a site's audit bundle
 * the way the cloud does (SignedRecordSessionSource verifying against the operator's keys, the
 * BillingReconciler with OcpiSessionRater on a SQLite financial ledger file, the payment simulator);
 * `npm run invoice-export` then writes the ledger's invoices. Every contract gets a standard EUR account.
 *   billBundleForAudit <bundle> <anchors.json> <tariff.json> <IANA zone> <ledger.sqlite>
 */
import { readFileSync } from "node:fs";
import {
  SeededRandom,
  VirtualClock,
  contractId,
  decodeAuditBundle,
  parseJsonKeepingNumbers,
  parseTariffs,
  parseTrustAnchors,
} from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { BillingReconciler } from "../../src/billing/billingReconciler.js";
import { tierHoldPolicy } from "../../src/billing/billingPorts.js";
import { accountId, currencyCode } from "../../src/billing/billingTypes.js";
import {
  InMemoryAccountDirectory,
  InMemoryNotificationSink,
  InMemoryStandingSink,
} from "../../src/billing/inMemoryBillingPorts.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { OcpiSessionRater } from "../../src/billing/ocpiSessionRater.js";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { SignedRecordSessionSource } from "../../src/billing/signedRecordSessionSource.js";

const [bundleFile, anchorsFile, tariffFile, timeZone, dbFile] = process.argv.slice(2);
const must = <T>(r: { ok: true; value: T } | { ok: false; error: Error }): T => {
  if (!r.ok) throw r.error;
  return r.value;
};
const bundle = must(decodeAuditBundle(readFileSync(bundleFile!)));
const anchors = must(parseTrustAnchors(readFileSync(anchorsFile!, "utf8")));
const tariffs = must(parseTariffs(must(parseJsonKeepingNumbers(readFileSync(tariffFile!, "utf8")))));
const clock = new VirtualClock(bundle.createdAtMs);
const sim = new PaymentSimulator(clock, new SeededRandom(5));
const accounts = new InMemoryAccountDirectory();
const contracts = [...new Set(bundle.sessions.flatMap((s) => (s.contractId ? [s.contractId] : [])))];
contracts.forEach((c, i) => {
  sim.addCard(`pm_${i}`, "visa");
  accounts.set(contractId(c), {
    accountId: accountId(`acct-${i}`),
    tier: "standard",
    currency: currencyCode("EUR"),
    paymentMethod: `pm_${i}`,
    customer: null,
    network: "visa",
  });
});
const ledger = openSqliteFinancialLedger(dbFile!);
const source = new SignedRecordSessionSource(
  () => [
    {
      siteId: bundle.siteId,
      certificates: bundle.certificates,
      records: bundle.records,
      journal: bundle.sessions.map((s) => ({
        sessionId: s.sessionId,
        contractId: s.contractId,
        startedAtMs: 0,
      })),
    },
  ],
  anchors.operatorKeys,
  nodeEd25519,
);
const reconciler = new BillingReconciler({
  ledger,
  provider: new SimulatedPaymentProvider(sim),
  source,
  accounts,
  rater: new OcpiSessionRater(tariffs, timeZone!),
  holdPolicy: tierHoldPolicy({ standard: 0n, member: 0n, fleet: 0n }),
  standingSink: new InMemoryStandingSink(),
  notificationSink: new InMemoryNotificationSink(),
  clock,
});
const report = await reconciler.runUntilQuiet();
process.stdout.write(JSON.stringify({ invoicesWritten: report.invoicesWritten }) + "\n");
await ledger.close();
