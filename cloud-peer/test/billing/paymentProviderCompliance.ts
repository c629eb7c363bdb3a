import { beforeEach, afterEach, describe, expect, it } from "vitest";
import { SeededRandom, VirtualClock } from "@chargemesh/shared-model";
import { isDoNotRetry } from "../../src/billing/payments/cardNetworkRules.js";
import type { AuthorizeRequest, PaymentProvider } from "../../src/billing/payments/paymentProvider.js";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import type { PaymentSimulatorStore } from "../../src/billing/payments/paymentSimulatorStore.js";

/** Builds a provider in front of the given simulator; `dispose` stops whatever it started. */
export type ProviderFactory = (
  sim: PaymentSimulator,
) => Promise<{ provider: PaymentProvider; dispose: () => Promise<void> }>;

const DAY = 24 * 60 * 60 * 1000;

function auth(key: string, over: Partial<AuthorizeRequest> = {}): AuthorizeRequest {
  return {
    idempotencyKey: key,
    amountMinor: 5000n,
    currency: "EUR",
    paymentMethod: "pm_visa",
    customer: "cus_1",
    initiatedBy: "customer",
    sessionId: `s-${key}`,
    ...over,
  };
}

/** The card-practice semantics every PaymentProvider shows against the simulator (on `store`'s state; default in memory). */
export function paymentProviderCompliance(
  name: string,
  factory: ProviderFactory,
  store?: () => PaymentSimulatorStore,
): void {
  describe(`PaymentProvider compliance: ${name}`, () => {
    let clock: VirtualClock;
    let sim: PaymentSimulator;
    let provider: PaymentProvider;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      clock = new VirtualClock(Date.UTC(2026, 5, 1));
      sim = new PaymentSimulator(clock, new SeededRandom(7), store ? { store: store() } : {});
      sim.addCard("pm_visa", "visa");
      sim.addCard("pm_mc", "mastercard");
      ({ provider, dispose } = await factory(sim));
    });
    afterEach(async () => {
      await dispose();
      sim.close();
    });

    it("holds, captures less than held and releases the rest; a replay moves no more money", async () => {
      const hold = await provider.authorize(auth("h1"));
      expect(hold).toMatchObject({ kind: "succeeded", amountMinor: 5000n });
      if (hold.kind !== "succeeded") return;
      expect(hold.expiresAtMs).toBe(clock.now() + 7 * DAY - ((clock.now() + 7 * DAY) % 1000));
      const cap = await provider.capture({
        idempotencyKey: "c1",
        providerRef: hold.providerRef,
        amountMinor: 1234n,
      });
      expect(cap).toMatchObject({ kind: "succeeded", amountMinor: 1234n });
      expect(
        await provider.capture({ idempotencyKey: "c1", providerRef: hold.providerRef, amountMinor: 1234n }),
      ).toMatchObject({ kind: "succeeded" });
      expect(sim.movedFor("s-h1")).toEqual({ net: 1234, captures: 1, charges: 0 });
      const again = await provider.capture({
        idempotencyKey: "c2",
        providerRef: hold.providerRef,
        amountMinor: 100n,
      });
      expect(again.kind).toBe("rejected");
    });

    it("refuses to capture more than held", async () => {
      const hold = await provider.authorize(auth("h2"));
      if (hold.kind !== "succeeded") throw new Error("no hold");
      expect(
        await provider.capture({ idempotencyKey: "c3", providerRef: hold.providerRef, amountMinor: 5001n }),
      ).toMatchObject({ kind: "rejected", code: "amount_too_large" });
      expect(sim.movedFor("s-h2").net).toBe(0);
    });

    it("lets a Visa merchant-initiated hold lapse before 5 days and a customer-initiated one after 7", async () => {
      const mit = await provider.authorize(auth("h3", { initiatedBy: "merchant" }));
      const cit = await provider.authorize(auth("h4"));
      if (mit.kind !== "succeeded" || cit.kind !== "succeeded") throw new Error("no hold");
      clock.advance(4 * DAY + 1000);
      expect(
        await provider.capture({ idempotencyKey: "c4", providerRef: mit.providerRef, amountMinor: 100n }),
      ).toMatchObject({ kind: "rejected", code: "charge_expired_for_capture" });
      expect(
        await provider.capture({ idempotencyKey: "c5", providerRef: cit.providerRef, amountMinor: 100n }),
      ).toMatchObject({ kind: "succeeded" });
    });

    it("rejects a reused key with other parameters and answers a concurrent reuse with a conflict", async () => {
      await provider.authorize(auth("k1"));
      expect(await provider.authorize(auth("k1", { amountMinor: 6000n }))).toMatchObject({
        kind: "rejected",
        code: "idempotency_error",
      });
      const gate = sim.pauseNext();
      const first = provider.charge(auth("k2"));
      await gate.reached;
      expect(await provider.charge(auth("k2"))).toEqual({ kind: "conflict" });
      gate.release();
      expect((await first).kind).toBe("succeeded");
      expect(sim.movedFor("s-k2")).toEqual({ net: 5000, captures: 0, charges: 1 });
    });

    it("declines with the network's codes, do-not-retry ones recognised", async () => {
      sim.scriptDeclines("pm_visa", [
        { declineCode: "stolen_card", networkDeclineCode: "43" },
        { declineCode: "insufficient_funds", networkDeclineCode: "51" },
      ]);
      sim.scriptDeclines("pm_mc", [
        { declineCode: "do_not_honor", networkDeclineCode: "05", networkAdviceCode: "03" },
      ]);
      const stolen = await provider.charge(auth("d1", { initiatedBy: "merchant" }));
      const funds = await provider.charge(auth("d2", { initiatedBy: "merchant" }));
      const mc = await provider.charge(auth("d3", { paymentMethod: "pm_mc", initiatedBy: "merchant" }));
      expect(stolen).toMatchObject({
        kind: "declined",
        code: "stolen_card",
        network: "visa",
        networkDeclineCode: "43",
      });
      expect(funds).toMatchObject({ kind: "declined", code: "insufficient_funds", networkDeclineCode: "51" });
      expect(mc).toMatchObject({ kind: "declined", network: "mastercard", networkAdviceCode: "03" });
      expect([stolen, funds, mc].map((d) => d.kind === "declined" && isDoNotRetry(d))).toEqual([
        true,
        false,
        true,
      ]);
      expect(await provider.charge(auth("d2", { initiatedBy: "merchant" }))).toMatchObject({
        kind: "declined",
        code: "insufficient_funds",
      });
    });

    it("times out after the charge happened: the same key later finds it, money moved once", async () => {
      sim.injectTimeout("after_commit");
      expect((await provider.charge(auth("t1"))).kind).toBe("unknown");
      expect(sim.movedFor("s-t1").charges).toBe(1);
      expect(await provider.charge(auth("t1"))).toMatchObject({ kind: "succeeded", amountMinor: 5000n });
      expect(sim.movedFor("s-t1")).toEqual({ net: 5000, captures: 0, charges: 1 });
    });

    it("times out before the charge happened: the same key makes it once", async () => {
      sim.injectTimeout("before_commit");
      expect((await provider.charge(auth("t2"))).kind).toBe("unknown");
      expect(sim.movedFor("s-t2").charges).toBe(0);
      expect((await provider.charge(auth("t2"))).kind).toBe("succeeded");
      expect(sim.movedFor("s-t2")).toEqual({ net: 5000, captures: 0, charges: 1 });
    });

    it("keeps idempotency keys at least 24 hours", async () => {
      await provider.charge(auth("r1"));
      clock.advance(DAY - 1000);
      await provider.charge(auth("r1"));
      expect(sim.movedFor("s-r1").charges).toBe(1);
    });

    it("releases a hold and refunds a charge", async () => {
      const hold = await provider.authorize(auth("h5"));
      if (hold.kind !== "succeeded") throw new Error("no hold");
      expect((await provider.release({ idempotencyKey: "rel1", providerRef: hold.providerRef })).kind).toBe(
        "succeeded",
      );
      expect(
        (await provider.capture({ idempotencyKey: "c6", providerRef: hold.providerRef, amountMinor: 1n }))
          .kind,
      ).toBe("rejected");
      const charge = await provider.charge(auth("ch1"));
      if (charge.kind !== "succeeded") throw new Error("no charge");
      expect(
        await provider.refund({ idempotencyKey: "rf1", providerRef: charge.providerRef, amountMinor: 700n }),
      ).toMatchObject({ kind: "succeeded", amountMinor: 700n });
      expect(sim.movedFor("s-ch1").net).toBe(4300);
    });
  });
}
