import { expect, test } from "vitest";
import { VirtualClock } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { OcppRunningCost } from "../../src/ocpp/ocppRunningCost.js";
import { chargerCostFigure, ocppTotalCost } from "../../src/ocpp/ocppTotalCost.js";
import type { TransactionSummary } from "../../src/ocpp/ocppTransactionLog.js";
import { officialOcpp201Validator } from "../../src/ocpp/ocppSchemaValidator.js";

const T0 = Date.UTC(2026, 11, 1, 8);
const tariffConfig = {
  ocpiTariffs: {
    tariffsJson: JSON.stringify({
      country_code: "DE",
      party_id: "CMS",
      id: "t",
      currency: "EUR",
      elements: [{ price_components: [{ type: "ENERGY", price: 0.3, vat: 0, step_size: 1 }] }],
      last_updated: "2026-01-01T00:00:00Z",
    }),
    timeZone: "Europe/Berlin",
  },
} as ConfigDocument;

/** A stored transaction after `minutes` of 16 kW (what the transaction log summarizes). */
const tx = (minutes: number, ended = false, id = "tx-1"): TransactionSummary =>
  ({
    stationId: "CP-1",
    transactionId: id,
    evseId: 1,
    idToken: null,
    events: minutes + 1,
    ended,
    offlineEvents: 0,
    lowestRegisterWh: 1_000,
    highestRegisterWh: 1_000 + Math.floor((16_000 * minutes) / 60),
    firstEventMs: T0,
    lastEventMs: T0 + minutes * 60_000,
    sessionId: null,
    decision: null,
  }) as TransactionSummary;

test("CostUpdated is due when the running cost rose and the interval passed, with the Ended answer's figure; never after the end", () => {
  const clock = new VirtualClock(T0);
  const cost = ocppTotalCost(() => tariffConfig);
  const running = new OcppRunningCost(cost, clock, { minIntervalMs: 5 * 60_000 });
  const validator = officialOcpp201Validator();
  const sent: number[] = [];
  expect(running.take(tx(0))).toBeNull(); // nothing charged yet: nothing to show
  for (let minute = 1; minute <= 30; minute++) {
    clock.advance(60_000);
    const u = running.take(tx(minute));
    if (!u) continue;
    expect(validator.check("CostUpdated", "req", u)).toBeNull();
    expect(u).toEqual({ totalCost: chargerCostFigure(cost, tx(minute)), transactionId: "tx-1" });
    sent.push(u.totalCost);
  }
  // One at minute 1, then at most one per 5 minutes of the clock: 1, 6, 11, 16, 21, 26.
  expect(sent).toHaveLength(6);
  expect([...sent].sort((a, b) => a - b)).toEqual(sent);
  expect(new Set(sent).size).toBe(sent.length);
  const ended = chargerCostFigure(cost, tx(30, true))!;
  expect(ended).toBe(2.4); // 8 kWh at 0.30 EUR
  expect(sent.at(-1)!).toBeLessThanOrEqual(ended);
  // The same figure again (no rise) is not sent, however long it has been.
  clock.advance(60 * 60_000);
  expect(running.take(tx(26))).toBeNull();
  expect(running.take(tx(30, true))).toBeNull();
  expect(running.tracked()).toBe(0);
});

test("no CostUpdated without an OCPI tariff, with a rating that throws, or beyond the tracking bound", () => {
  const clock = new VirtualClock(T0);
  const none = new OcppRunningCost(
    ocppTotalCost(() => ({}) as ConfigDocument),
    clock,
    { minIntervalMs: 0 },
  );
  const absent = new OcppRunningCost(undefined, clock, { minIntervalMs: 0 });
  const throwing = new OcppRunningCost(
    () => {
      throw new Error("rating broke");
    },
    clock,
    { minIntervalMs: 0 },
  );
  for (let minute = 1; minute <= 10; minute++) {
    clock.advance(60_000);
    expect(none.take(tx(minute))).toBeNull();
    expect(absent.take(tx(minute))).toBeNull();
    expect(throwing.take(tx(minute))).toBeNull();
  }
  const bounded = new OcppRunningCost(
    ocppTotalCost(() => tariffConfig),
    clock,
    {
      minIntervalMs: 0,
      maxTransactions: 3,
    },
  );
  for (let i = 0; i < 10; i++) expect(bounded.take(tx(5, false, `tx-${i}`))).not.toBeNull();
  expect(bounded.tracked()).toBe(3);
});
