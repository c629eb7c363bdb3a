/**
 * Test fixture (run with tsx by persistedPaymentSimulator.test.ts, then SIGKILLed): opens the payment
 * simulator on the SQLite file given, registers a Visa card and makes holds `hold-0`, `hold-1`, ...
 * without end, printing `HOLD <n> <providerRef>` after each answer. Exits only by being killed.
 * Usage: paymentSimulatorHoldsChild.ts <file> <startMs>
 */
import { SeededRandom, VirtualClock } from "@chargemesh/shared-model";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { SqlitePaymentSimulatorStore } from "../../src/billing/payments/sqlitePaymentSimulatorStore.js";

const [file, startMs] = process.argv.slice(2);
if (!file || !startMs) throw new Error("usage: paymentSimulatorHoldsChild.ts <file> <startMs>");
const clock = new VirtualClock(Number(startMs));
const sim = new PaymentSimulator(clock, new SeededRandom(21), {
  store: new SqlitePaymentSimulatorStore(file),
});
sim.addCard("pm_crash", "visa");
const provider = new SimulatedPaymentProvider(sim);

for (let n = 0; ; n++) {
  const r = await provider.authorize({
    idempotencyKey: `hold-${n}`,
    amountMinor: 3000n,
    currency: "EUR",
    paymentMethod: "pm_crash",
    customer: null,
    initiatedBy: "customer",
    sessionId: `s-crash-${n}`,
  });
  if (r.kind !== "succeeded") throw new Error(`hold ${n}: ${r.kind}`);
  process.stdout.write(`HOLD ${n} ${r.providerRef}\n`);
  clock.advance(1000);
}
