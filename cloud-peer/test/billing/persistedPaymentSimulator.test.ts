import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom, VirtualClock } from "@chargemesh/shared-model";
import { InMemoryPaymentSimulatorStore } from "../../src/billing/payments/inMemoryPaymentSimulatorStore.js";
import type { AuthorizeRequest } from "../../src/billing/payments/paymentProvider.js";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import type { PaymentSimulatorStore } from "../../src/billing/payments/paymentSimulatorStore.js";
import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { SqlitePaymentSimulatorStore } from "../../src/billing/payments/sqlitePaymentSimulatorStore.js";
import { StripePaymentProvider } from "../../src/billing/payments/stripePaymentProvider.js";
import { StripeWireServer } from "../../src/billing/payments/stripeWireServer.js";
import { paymentProviderCompliance } from "./paymentProviderCompliance.js";

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 5, 1, 8);
const dir = mkdtempSync(join(tmpdir(), "cm-paysim-"));
let files = 0;
const freshFile = () => join(dir, `sim-${++files}.sqlite`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The whole provider suite, on the simulator's state in a SQLite file.
paymentProviderCompliance(
  "simulator in-process on a SQLite store",
  async (sim) => ({ provider: new SimulatedPaymentProvider(sim), dispose: async () => undefined }),
  () => new SqlitePaymentSimulatorStore(freshFile()),
);

paymentProviderCompliance(
  "Stripe adapter over HTTP against the simulator on a SQLite store",
  async (sim) => {
    const server = new StripeWireServer(sim);
    const port = await server.listen();
    const provider = new StripePaymentProvider({
      apiKey: "sk_test_simulator",
      host: "127.0.0.1",
      port,
      protocol: "http",
      timeoutMs: 3000,
    });
    return { provider, dispose: () => server.close() };
  },
  () => new SqlitePaymentSimulatorStore(freshFile()),
);

function hold(key: string, over: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    idempotencyKey: key,
    amountMinor: 3000n,
    currency: "EUR",
    paymentMethod: "pm_visa",
    customer: "cus_1",
    initiatedBy: "customer",
    sessionId: `s-${key}`,
    ...over,
  };
}

for (const [name, open] of [
  ["in memory", () => new InMemoryPaymentSimulatorStore()],
  ["SQLite", () => new SqlitePaymentSimulatorStore(freshFile())],
] as const)
  describe(`PaymentSimulatorStore (${name})`, () => {
    it("undoes every write of a transaction that throws", () => {
      const store: PaymentSimulatorStore = open();
      store.putCard("pm_a", "visa");
      store.pushDeclines("pm_a", [{ declineCode: "insufficient_funds", networkDeclineCode: "51" }]);
      expect(() =>
        store.transaction(() => {
          store.putCard("pm_b", "mastercard");
          expect(store.shiftDecline("pm_a")?.declineCode).toBe("insufficient_funds");
          store.saveResponse("k", { fingerprint: "f", response: { status: 200, body: {} }, atMs: 1 });
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(store.cardNetwork("pm_b")).toBeNull();
      expect(store.shiftDecline("pm_a")).toEqual({
        declineCode: "insufficient_funds",
        networkDeclineCode: "51",
        networkAdviceCode: null,
      });
      expect(store.savedResponse("k")).toBeNull();
      store.close();
    });

    it("re-registering a card keeps its scripted declines", async () => {
      const sim = new PaymentSimulator(new VirtualClock(START), new SeededRandom(3), { store: open() });
      expect(sim.addCard("pm_visa", "visa")).toBe(true);
      sim.scriptDeclines("pm_visa", [{ declineCode: "do_not_honor", networkDeclineCode: "05" }]);
      expect(sim.addCard("pm_visa", "visa")).toBe(false);
      expect(await new SimulatedPaymentProvider(sim).charge(hold("d1"))).toMatchObject({
        kind: "declined",
        code: "do_not_honor",
      });
      sim.close();
    });
  });

describe("a simulator reopened on its SQLite file", () => {
  it("captures a hold made before, replays retained keys with the saved response, refuses a key with other params", async () => {
    const file = freshFile();
    const clock = new VirtualClock(START);
    const first = new PaymentSimulator(clock, new SeededRandom(9), {
      store: new SqlitePaymentSimulatorStore(file),
    });
    first.addCard("pm_visa", "visa");
    first.addCard("pm_mc", "mastercard");
    first.scriptDeclines("pm_mc", [
      { declineCode: "insufficient_funds", networkDeclineCode: "51" },
      { declineCode: "do_not_honor", networkDeclineCode: "05", networkAdviceCode: "03" },
    ]);
    const p1 = new SimulatedPaymentProvider(first);
    const held = await p1.authorize(hold("h1"));
    if (held.kind !== "succeeded") throw new Error(`no hold: ${held.kind}`);
    const declined = await p1.charge(hold("d1", { paymentMethod: "pm_mc", initiatedBy: "merchant" }));
    expect(declined).toMatchObject({ kind: "declined", code: "insufficient_funds" });
    const saved = await first.request(
      "create",
      { amount: 700, currency: "eur", payment_method: "pm_visa", metadata: { session_id: "s-raw" } },
      "raw1",
    );
    first.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (existsSync(`${file}-wal`)) expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);

    clock.advance(60 * 60 * 1000);
    // The same seed on purpose: the IDs it draws are those of the intents already on file.
    const again = new PaymentSimulator(clock, new SeededRandom(9), {
      store: new SqlitePaymentSimulatorStore(file),
    });
    expect(again.addCard("pm_visa", "visa")).toBe(false);
    const p2 = new SimulatedPaymentProvider(again);
    // A replay of a retained key: the saved response, byte for byte, and no second hold.
    expect(
      await again.request(
        "create",
        { amount: 700, currency: "eur", payment_method: "pm_visa", metadata: { session_id: "s-raw" } },
        "raw1",
      ),
    ).toEqual(saved);
    expect(await p2.authorize(hold("h1"))).toEqual(held);
    expect(await p2.charge(hold("d1", { paymentMethod: "pm_mc", initiatedBy: "merchant" }))).toEqual(
      declined,
    );
    // The same key with other parameters is still an idempotency error.
    expect(await p2.authorize(hold("h1", { amountMinor: 3100n }))).toMatchObject({
      kind: "rejected",
      code: "idempotency_error",
    });
    // The hold made before the restart captures (less than held), once.
    const cap = await p2.capture({ idempotencyKey: "c1", providerRef: held.providerRef, amountMinor: 1234n });
    expect(cap).toMatchObject({ kind: "succeeded", amountMinor: 1234n });
    expect(again.movedFor("s-h1")).toEqual({ net: 1234, captures: 1, charges: 0 });
    // The second scripted decline was still queued; a new hold gets a fresh ID.
    expect(await p2.charge(hold("d2", { paymentMethod: "pm_mc", initiatedBy: "merchant" }))).toMatchObject({
      kind: "declined",
      networkAdviceCode: "03",
    });
    const fresh = await p2.authorize(hold("h2"));
    expect(fresh.kind).toBe("succeeded");
    if (fresh.kind === "succeeded") expect(fresh.providerRef).not.toBe(held.providerRef);
    again.close();

    // Past the 24 h retention the key is forgotten (as in memory): the same key makes a new intent.
    clock.advance(DAY + 1000);
    const later = new PaymentSimulator(clock, new SeededRandom(10), {
      store: new SqlitePaymentSimulatorStore(file),
    });
    const p3 = new SimulatedPaymentProvider(later);
    expect(
      await p3.capture({ idempotencyKey: "c1", providerRef: held.providerRef, amountMinor: 1234n }),
    ).toMatchObject({ kind: "rejected" });
    const renewed = await p3.authorize(hold("h1", { amountMinor: 3100n }));
    expect(renewed).toMatchObject({ kind: "succeeded", amountMinor: 3100n });
    expect(later.movedFor("s-h1")).toEqual({ net: 1234, captures: 1, charges: 0 });
    later.close();
  });

  it("loses no hold when the process making them is SIGKILLed: every answered hold captures after reopening", async () => {
    const file = freshFile();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        fileURLToPath(new URL("./paymentSimulatorHoldsChild.ts", import.meta.url)),
        file,
        String(START),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const answered = new Map<number, string>();
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const m = /^HOLD (\d+) (\S+)$/.exec(line);
        if (!m) return;
        answered.set(Number(m[1]), m[2]!);
        // Killed while it keeps making holds (most likely inside one of its requests).
        if (answered.size === 40) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () =>
        answered.size < 40 ? reject(new Error(`child exited early: ${stderr}`)) : resolve(),
      );
    });
    expect(await exited).toBe("SIGKILL");

    const clock = new VirtualClock(START + 60 * 60 * 1000);
    const sim = new PaymentSimulator(clock, new SeededRandom(22), {
      store: new SqlitePaymentSimulatorStore(file),
    });
    const provider = new SimulatedPaymentProvider(sim);
    for (const [n, ref] of answered) {
      // A replay of the hold's key names the same intent; the hold captures, once.
      expect(
        await provider.authorize({
          ...hold(`hold-${n}`, { paymentMethod: "pm_crash", customer: null, sessionId: `s-crash-${n}` }),
        }),
      ).toMatchObject({ kind: "succeeded", providerRef: ref });
      expect(
        await provider.capture({ idempotencyKey: `cap-${n}`, providerRef: ref, amountMinor: 2500n }),
      ).toMatchObject({ kind: "succeeded", amountMinor: 2500n });
      expect(sim.movedFor(`s-crash-${n}`)).toEqual({ net: 2500, captures: 1, charges: 0 });
    }
    expect(sim.movements).toHaveLength(answered.size);
    sim.close();
  }, 120_000);
});
