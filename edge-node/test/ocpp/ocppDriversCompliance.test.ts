import { describe } from "vitest";
import { VirtualClock, meterId } from "@chargemesh/shared-model";
import {
  runMeterCompliance,
  runPowerStageCompliance,
  runVehicleLinkCompliance,
} from "@chargemesh/hal/compliance";
import { OcppEvse } from "../../src/ocpp/ocppEvse.js";

/**
 * An OCPP EVSE as hal drivers, fed as its station feeds it (meter values, transactions, Authorize),
 * with a charger that accepts a charging profile once its reaction delay has passed on `clock`.
 */
function ocppEvse(reactionDelayMs = 500) {
  const clock = new VirtualClock(Date.UTC(2026, 11, 1));
  const due: Array<{ atMs: number; resolve: (accepted: boolean) => void }> = [];
  const evse = new OcppEvse(
    { stationId: "CP-1", evseId: 1, meterId: meterId("meter-CP-1"), maxW: 22_000, minW: 0, reactionDelayMs },
    {
      connected: () => true,
      setTransactionLimit: () =>
        new Promise((resolve) => due.push({ atMs: clock.now() + reactionDelayMs, resolve })),
      requestStop: async () => true,
    },
  );
  const elapse = async (ms: number) => {
    clock.advance(ms);
    for (const d of due.filter((d) => d.atMs <= clock.now())) d.resolve(true);
    due.splice(0, due.length, ...due.filter((d) => d.atMs > clock.now()));
    await new Promise((r) => setImmediate(r));
  };
  return { evse, clock, elapse };
}

describe("edge-node's OCPP EVSE drivers pass hal's compliance suites", () => {
  runMeterCompliance("OcppEvse meter", async () => {
    const { evse, clock } = ocppEvse();
    let registerWh = 100;
    evse.reading(registerWh, 0, null, clock.now(), null);
    const deliver = async (wh: number, powerW: number) => {
      clock.advance(1_000);
      evse.reading((registerWh += wh), powerW, null, clock.now(), null); // a MeterValues message
    };
    return { meter: evse.meter, deliver, close: async () => {} };
  });

  runPowerStageCompliance("OcppEvse power stage", async () => {
    const { evse, elapse } = ocppEvse();
    evse.transactionSeen("tx-1"); // a transaction runs: limits become TxProfiles the charger acknowledges
    return { stage: evse.stage, elapse, close: () => evse.stage.close() };
  });

  runVehicleLinkCompliance("OcppEvse vehicle link", async () => {
    const { evse } = ocppEvse();
    const plugCar = async () => {
      evse.transactionSeen("tx-1"); // TransactionEvent Started (cable plugged in)
      evse.announcePlug({
        certificateChain: [new Uint8Array([0x30, 0x00])],
        proofOfPossession: "charger-secc",
      });
      await evse.stage.setContactor(true); // the orchestrator opened the session
    };
    const unplugCar = async () => evse.transactionEnded("tx-1"); // TransactionEvent Ended
    return { link: evse.link, reportsAcceptance: false, plugCar, unplugCar, close: async () => {} };
  });
});
