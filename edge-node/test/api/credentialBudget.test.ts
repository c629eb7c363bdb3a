import { expect, test } from "vitest";
import { VirtualClock } from "@chargemesh/shared-model";
import { DEFAULT_LOCAL_API_LIMITS } from "../../src/api/apiLimits.js";
import { CredentialBudget } from "../../src/api/credentialBudget.js";

test("failures within the budget are free; then the backoff doubles per failure up to the maximum", () => {
  const clock = new VirtualClock(0);
  const b = new CredentialBudget(
    { ...DEFAULT_LOCAL_API_LIMITS, failedCredentialBudget: 3, baseBackoffMs: 1_000, maxBackoffMs: 8_000 },
    clock,
  );
  expect([b.failed("a"), b.failed("a"), b.failed("a")]).toEqual([0, 0, 0]);
  expect(b.retryAfterMs("a")).toBe(0);
  expect(b.failed("a")).toBe(1_000);
  expect(b.retryAfterMs("a")).toBe(1_000);
  expect(b.retryAfterMs("b")).toBe(0);
  expect([b.failed("a"), b.failed("a"), b.failed("a"), b.failed("a")]).toEqual([2_000, 4_000, 8_000, 8_000]);
  clock.advance(8_000);
  expect(b.retryAfterMs("a")).toBe(0);
  expect(b.failed("a")).toBe(8_000); // still within the window: no fresh budget
});

test("a quiet window after the last block forgets the failures; tracked addresses are bounded", () => {
  const clock = new VirtualClock(0);
  const b = new CredentialBudget(
    {
      ...DEFAULT_LOCAL_API_LIMITS,
      failedCredentialBudget: 1,
      failureWindowMs: 60_000,
      maxTrackedAddresses: 100,
    },
    clock,
  );
  b.failed("a");
  expect(b.failed("a")).toBeGreaterThan(0);
  clock.advance(120_000);
  expect(b.failed("a")).toBe(0);
  for (let i = 0; i < 1_000; i++) b.failed(`10.0.${i >> 8}.${i & 255}`);
  expect(b.size()).toBe(100);
});
