import { expect, test } from "vitest";
import fc from "fast-check";
import { jittered, nextRedialDelay, REDIAL_BASE_MS, REDIAL_MAX_MS } from "../src/redialBackoff.js";

test("redial delays double from the base and stop at the cap, so a returning link is dialled within the cap", () => {
  const delays: number[] = [];
  let d = REDIAL_BASE_MS;
  for (let i = 0; i < 40; i++) {
    delays.push(d);
    d = nextRedialDelay(d, REDIAL_BASE_MS, REDIAL_MAX_MS);
  }
  expect(delays.slice(0, 5)).toEqual([500, 1_000, 2_000, 4_000, 5_000]);
  expect(Math.max(...delays)).toBe(REDIAL_MAX_MS);
  expect(delays.at(-1)).toBe(REDIAL_MAX_MS);
});

test("a jittered delay lies in [ms/2, ms] and different random bytes spread it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 60_000 }),
      fc.uint8Array({ minLength: 2, maxLength: 2 }),
      (ms, b) => {
        const j = jittered(ms, { bytes: () => b });
        return Number.isInteger(j) && j >= Math.floor(ms / 2) && j <= ms;
      },
    ),
  );
  const spread = new Set([0, 64, 128, 255].map((x) => jittered(5_000, { bytes: () => Uint8Array.of(x, 0) })));
  expect(spread.size).toBe(4);
});
