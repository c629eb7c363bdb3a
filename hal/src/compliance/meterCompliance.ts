import { expect, test } from "vitest";
import type { Meter } from "../meter.js";

export interface MeterHarness {
  readonly meter: Meter;
  /** Makes the physical side deliver `wh` more energy at `powerW` (the simulator or the line's far end). */
  deliver(wh: number, powerW: number): Promise<void>;
  close(): Promise<void>;
}

/** The tests every Meter driver passes: integer readings, a register that only grows, reads that never throw. */
export function runMeterCompliance(name: string, setup: () => Promise<MeterHarness>): void {
  test(`${name}: readings are integers and the register follows delivered energy`, async () => {
    const h = await setup();
    try {
      const first = await h.meter.read();
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(Number.isSafeInteger(first.reading.registerWh)).toBe(true);
      await h.deliver(1_234, 7_000);
      const second = await h.meter.read();
      expect(second.ok && second.reading.registerWh - first.reading.registerWh).toBe(1_234);
      expect(second.ok && second.reading.powerW).toBe(7_000);
    } finally {
      await h.close();
    }
  });

  test(`${name}: the register never decreases over many reads`, async () => {
    const h = await setup();
    try {
      let last = -1;
      for (let i = 0; i < 10; i++) {
        await h.deliver(i * 3, 500);
        const r = await h.meter.read();
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.reading.registerWh).toBeGreaterThanOrEqual(last);
          last = r.reading.registerWh;
        }
      }
    } finally {
      await h.close();
    }
  });

  test(`${name}: read after close is a fault value, not an exception`, async () => {
    const h = await setup();
    await h.meter.close();
    const r = await h.meter.read();
    expect(r.ok).toBe(false);
    await h.close();
  });
}
