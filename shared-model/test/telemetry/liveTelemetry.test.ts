import { expect, test } from "vitest";
import {
  liveTelemetryMessage,
  parseLiveTelemetry,
  LIVE_TELEMETRY_MAX_STALLS,
} from "../../src/telemetry/liveTelemetry.js";

const stall = {
  stallId: "stall-1",
  phase: "charging" as const,
  sessionId: "site:SESSION0001",
  powerW: 48_000,
  sessionEnergyWh: 1_234,
  grantedW: 50_000,
};
const good = liveTelemetryMessage("site-a", 7, 1_780_000_000_000, [
  stall,
  { ...stall, stallId: "stall-2", phase: "available", sessionId: null, powerW: 0, sessionEnergyWh: 0 },
]);

test("a built message parses back to itself", () => {
  expect(parseLiveTelemetry(good)).toEqual({ ok: true, value: good });
});

test.each([
  ["a string", "telemetry"],
  ["null", null],
  ["another version", { ...good, v: 2 }],
  ["another type", { ...good, type: "chat" }],
  ["fractional power", { ...good, stalls: [{ ...stall, powerW: 1.5 }] }],
  ["negative energy", { ...good, stalls: [{ ...stall, sessionEnergyWh: -1 }] }],
  ["power as a string", { ...good, stalls: [{ ...stall, powerW: "48000" }] }],
  ["an unknown phase", { ...good, stalls: [{ ...stall, phase: "exploding" }] }],
  [
    "a missing granted power",
    {
      ...good,
      stalls: [{ stallId: "s", phase: "available", sessionId: null, powerW: 0, sessionEnergyWh: 0 }],
    },
  ],
  ["an extra field", { ...good, extra: 1 }],
  ["an empty site ID", { ...good, siteId: "" }],
  ["fractional time", { ...good, siteTimeMs: 1.25 }],
  [
    "too many stalls",
    { ...good, stalls: Array.from({ length: LIVE_TELEMETRY_MAX_STALLS + 1 }, () => stall) },
  ],
])("rejects %s with an invalid_input error value, without throwing", (_name, input) => {
  const r = parseLiveTelemetry(input);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe("invalid_input");
    expect(r.error.message).toMatch(/^not a live telemetry message: /);
  }
});
