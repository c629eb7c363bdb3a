import { describe, expect, it } from "vitest";
import { contractId } from "@chargemesh/shared-model";
import { DEMO_DRIVER_ACCOUNT, DEMO_DRIVER_EMAIL, planDemoDrivers } from "../src/demoDrivers.js";
import { DEMO_TIME_ZONE, loadDemoTariffs } from "../src/demoTariff.js";

const contracts = Array.from({ length: 7 }, (_, i) => contractId(`DE-CMS-C0000000${7 - i}-${(6 - i) % 10}`));

describe("planDemoDrivers", () => {
  it("gives the demo driver the first fifth of the contracts (sorted) and every other contract an account of its own, each with a card on file", () => {
    const plan = planDemoDrivers(contracts, "secret-password-0123", 1);
    expect(plan.specs[0]).toMatchObject({
      accountId: DEMO_DRIVER_ACCOUNT,
      email: DEMO_DRIVER_EMAIL,
      password: "secret-password-0123",
    });
    const sorted = [...contracts].sort();
    expect(plan.specs[0]!.contracts.map((c) => c.contractId)).toEqual(sorted.slice(0, 2));
    expect(plan.specs.slice(1).map((s) => s.contracts.map((c) => c.contractId))).toEqual(
      sorted.slice(2).map((c) => [c]),
    );
    expect(plan.specs.slice(1).every((s) => s.password === undefined)).toBe(true);
    expect(new Set(plan.specs.map((s) => s.accountId)).size).toBe(6);
    expect(plan.onFile.map((a) => a.account.accountId)).toEqual(plan.specs.map((s) => s.accountId));
    expect(new Set(plan.onFile.map((a) => a.account.paymentMethod)).size).toBe(6);
  });

  it("gives the first `declining` single-contract accounts a card the simulator declines, every attempt, with a retryable code", () => {
    const plan = planDemoDrivers(contracts, "secret-password-0123", 1, 2);
    expect(plan.onFile.map((a) => a.declines !== undefined)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(plan.specs[1]!.name).toMatch(/card declines/);
    expect(plan.onFile[1]!.declines!.length).toBeGreaterThan(15);
    expect(plan.onFile[1]!.declines!.every((d) => d.declineCode === "insufficient_funds")).toBe(true);
    expect(planDemoDrivers(contracts, "secret-password-0123", 1).onFile.some((a) => a.declines)).toBe(false);
  });

  it("opens no second demo driver and numbers later accounts on", () => {
    const plan = planDemoDrivers(contracts.slice(0, 2), null, 7);
    expect(plan.specs.map((s) => s.accountId)).toEqual(["acct-7", "acct-8"]);
  });
});

describe("the demo tariff", () => {
  it("is a valid OCPI tariff with a night price restricted by local time", () => {
    const [tariff] = loadDemoTariffs();
    expect(tariff!.currency).toBe("EUR");
    expect(tariff!.elements[0]!.restrictions).toMatchObject({ start_time: "22:00", end_time: "07:00" });
    expect(DEMO_TIME_ZONE).toBe("Europe/Berlin");
  });
});
