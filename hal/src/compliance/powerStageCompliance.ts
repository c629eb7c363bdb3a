import { expect, test } from "vitest";
import type { PowerStage } from "../powerStage.js";

export interface PowerStageHarness {
  readonly stage: PowerStage;
  /** Moves the stage's time forward by `ms` (simulated or real). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The tests every PowerStage passes: limits acknowledged after the reaction delay, capped at max, bad input refused. */
export function runPowerStageCompliance(name: string, setup: () => Promise<PowerStageHarness>): void {
  test(`${name}: a limit is acknowledged once applied, not before its reaction delay`, async () => {
    const h = await setup();
    try {
      let acked = false;
      const p = h.stage.setLimit(Math.min(10_000, h.stage.maxW)).then(() => (acked = true));
      if (h.stage.reactionDelayMs > 0) {
        await h.elapse(Math.max(0, h.stage.reactionDelayMs - 1));
        expect(acked).toBe(false);
      }
      await h.elapse(h.stage.reactionDelayMs + 1);
      await p;
      expect(h.stage.status().appliedLimitW).toBe(Math.min(10_000, h.stage.maxW));
    } finally {
      await h.close();
    }
  });

  test(`${name}: limits above the maximum are capped; negative or fractional limits are refused`, async () => {
    const h = await setup();
    try {
      const p = h.stage.setLimit(h.stage.maxW * 10);
      await h.elapse(h.stage.reactionDelayMs + 1);
      await p;
      expect(h.stage.status().appliedLimitW).toBe(h.stage.maxW);
      await expect(h.stage.setLimit(-1)).rejects.toThrow();
      await expect(h.stage.setLimit(1.5)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });

  test(`${name}: the contactor state is reported and status listeners hear changes`, async () => {
    const h = await setup();
    try {
      const seen: boolean[] = [];
      const off = h.stage.onStatus((s) => seen.push(s.contactorClosed));
      await h.stage.setContactor(true);
      expect(h.stage.status().contactorClosed).toBe(true);
      await h.stage.setContactor(false);
      off();
      expect(seen).toEqual([true, false]);
    } finally {
      await h.close();
    }
  });
}
