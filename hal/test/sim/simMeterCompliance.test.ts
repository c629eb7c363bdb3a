import { describe, expect, test } from "vitest";
import { VirtualClock, meterId } from "@chargemesh/shared-model";
import { SimMeter } from "../../src/sim/simMeter.js";
import { SimBattery } from "../../src/sim/simBattery.js";
import { SimPowerStage } from "../../src/sim/simPowerStage.js";
import { runMeterCompliance } from "../../src/compliance/index.js";

describe("SimMeter", () => {
  runMeterCompliance("SimMeter", async () => {
    const clock = new VirtualClock();
    let closed = false;
    const meter = new SimMeter(meterId("sim-1"), clock, 100);
    const wrapped = {
      id: meter.id,
      read: async () =>
        closed ? ({ ok: false, fault: "meter_disconnected", message: "closed" } as const) : meter.read(),
      close: async () => void (closed = true),
    };
    return {
      meter: wrapped,
      deliver: async (wh, powerW) => {
        meter.integrate(powerW, 0);
        if (wh > 0) meter.integrate(powerW, Math.round((wh * 3_600_000) / powerW));
      },
      close: async () => {},
    };
  });
});

describe("simulated battery and power stage", () => {
  test("a meter integrating tiny steps loses nothing to rounding", () => {
    const m = new SimMeter(meterId("sim-2"), new VirtualClock());
    for (let i = 0; i < 600_000; i++) m.integrate(1, 6); // 1 W for an hour in 6 ms steps
    expect(m.registerWh()).toBe(1);
  });

  test("the taper falls after the knee and reaches zero at the target", () => {
    const b = new SimBattery({
      capacityWh: 60_000,
      socPermille: 500,
      targetPermille: 800,
      maxPowerW: 100_000,
    });
    expect(b.acceptanceW()).toBe(100_000);
    b.charge(100_000, 360_000); // 6 minutes at 100 kW = 10 kWh
    expect(b.socPermille()).toBe(666);
    const mid = b.acceptanceW();
    expect(mid).toBeLessThan(100_000);
    expect(mid).toBeGreaterThan(5_000);
    b.charge(100_000, 3_600_000);
    expect(b.full()).toBe(true);
    expect(b.acceptanceW()).toBe(0);
  });

  test("a power stage applies a new limit only after its reaction delay", async () => {
    const clock = new VirtualClock();
    const stage = new SimPowerStage(50_000, 5_000, 800, clock);
    let acked = false;
    const p = stage.setLimit(20_000).then(() => (acked = true));
    await stage.setContactor(true);
    expect(stage.status().appliedLimitW).toBe(0);
    expect(stage.status().requestedLimitW).toBe(20_000);
    clock.advance(799);
    stage.advanceTo(clock.now());
    await Promise.resolve();
    expect(acked).toBe(false);
    clock.advance(1);
    stage.advanceTo(clock.now());
    await p;
    expect(stage.status().appliedLimitW).toBe(20_000);
    expect(stage.deliverable(30_000)).toBe(20_000);
    stage.setUnreachable(true);
    await expect(stage.setLimit(1_000)).rejects.toThrow(/unreachable/);
    expect(stage.status().state).toBe("unreachable");
  });
});
