import { describe } from "vitest";
import { VirtualClock, meterId } from "@chargemesh/shared-model";
import { SimPowerStage } from "../../src/sim/simPowerStage.js";
import { SimSecureElement } from "../../src/sim/simSecureElement.js";
import { SimStall } from "../../src/sim/simStall.js";
import { SimVehicle, CONTRACT_KEY_LABEL } from "../../src/sim/simVehicle.js";
import { runPowerStageCompliance } from "../../src/compliance/index.js";
import { runSecureElementCompliance } from "../../src/compliance/index.js";
import { runVehicleLinkCompliance } from "../../src/compliance/index.js";

const flush = () => new Promise<void>((r) => setImmediate(r));

describe("hal simulators pass the driver compliance suites", () => {
  runSecureElementCompliance("SimSecureElement", () => new SimSecureElement());

  runPowerStageCompliance("SimPowerStage", async () => {
    const clock = new VirtualClock();
    const stage = new SimPowerStage(50_000, 5_000, 800, clock);
    return {
      stage,
      elapse: async (ms) => {
        clock.advance(ms);
        stage.advanceTo(clock.now());
        await flush();
      },
      close: () => stage.close(),
    };
  });

  runVehicleLinkCompliance("SimStall vehicle link", async () => {
    const clock = new VirtualClock();
    const stall = new SimStall({ meterId: meterId("m1"), maxW: 50_000, minW: 0, reactionDelayMs: 0 }, clock);
    const se = new SimSecureElement();
    await se.generateKey(CONTRACT_KEY_LABEL, "ecdsa-p256");
    return {
      link: stall.link,
      plugCar: async () =>
        stall.plug(
          new SimVehicle(
            { capacityWh: 50_000, socPermille: 300, targetPermille: 800, maxPowerW: 50_000 },
            se,
            [new Uint8Array([0x30, 0x00])],
          ),
        ),
      unplugCar: async () => void stall.unplug(),
      close: async () => {},
    };
  });
});
