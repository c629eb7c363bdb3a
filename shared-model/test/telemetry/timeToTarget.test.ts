import { expect, test } from "vitest";
import fc from "fast-check";
import { minutesToTarget } from "../../src/telemetry/timeToTarget.js";

test("a 60 kWh car from 20 % to 80 % at 50 kW: 30 % delivered (18 kWh) leaves 30 % = 18 kWh, 22 minutes", () => {
  const m = minutesToTarget({
    startSocPermille: 200,
    socPermille: 500,
    targetPermille: 800,
    energyWh: 18_000,
    powerW: 50_000,
  });
  expect(m).toBe(22); // 18,000 Wh at 50,000 W = 21.6 min, rounded up
});

test("no estimate without SoC, with too small a rise or no power; 0 at target", () => {
  const base = {
    startSocPermille: 200,
    socPermille: 500,
    targetPermille: 800,
    energyWh: 18_000,
    powerW: 50_000,
  };
  expect(minutesToTarget({ ...base, socPermille: null })).toBeNull();
  expect(minutesToTarget({ ...base, socPermille: 210 })).toBeNull();
  expect(minutesToTarget({ ...base, powerW: 0 })).toBeNull();
  expect(minutesToTarget({ ...base, energyWh: 1.5 })).toBeNull();
  expect(minutesToTarget({ ...base, socPermille: 800 })).toBe(0);
  expect(minutesToTarget({ ...base, socPermille: 900 })).toBe(0);
});

test("the estimate never rounds down: minutes x power covers the remaining energy", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 900 }),
      fc.integer({ min: 20, max: 100 }),
      fc.integer({ min: 1, max: 100 }),
      fc.integer({ min: 1, max: 200_000 }),
      fc.integer({ min: 1, max: 400_000 }),
      (start, rise, gap, energyWh, powerW) => {
        const soc = Math.min(start + rise, 999);
        const target = Math.min(soc + gap, 1000);
        if (soc - start < 20 || target <= soc) return true;
        const m = minutesToTarget({
          startSocPermille: start,
          socPermille: soc,
          targetPermille: target,
          energyWh,
          powerW,
        })!;
        const remainingWhTimes60 = ((target - soc) * energyWh * 60) / (soc - start);
        return m * powerW >= remainingWhTimes60 - 1e-6 && (m - 1) * powerW < remainingWhTimes60;
      },
    ),
  );
});
