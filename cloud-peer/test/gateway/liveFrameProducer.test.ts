import { expect, test } from "vitest";
import { liveTelemetryMessage } from "@chargemesh/shared-model";
import type { FeedEnvelope } from "../../src/gateway/feedEnvelope.js";
import { LocalFrameBus } from "../../src/gateway/feedEnvelope.js";
import { LiveFrameProducer } from "../../src/gateway/liveFrameProducer.js";

test("frames carry the car's SoC and a time to target estimated from the SoC gained per Wh", () => {
  const bus = new LocalFrameBus();
  const seen: FeedEnvelope[] = [];
  bus.onEnvelope((e) => seen.push(e));
  const producer = new LiveFrameProducer({ session: () => null, tariffs: () => [] }, bus);
  // A 60 kWh car at 50 kW: 600 Wh per 10 per mille.
  for (let i = 0; i <= 30; i++)
    producer.onTelemetry(
      liveTelemetryMessage("site-1", i + 1, i * 43_200, [
        {
          stallId: "s1",
          phase: "charging",
          sessionId: "site-1:soc-session",
          powerW: 50_000,
          sessionEnergyWh: 1_000 + i * 600,
          grantedW: 50_000,
          socPermille: 210 + i * 10,
          targetPermille: 800,
        },
      ]),
    );
  const figures = seen.map((e) => e.frame.figures);
  expect(figures).toHaveLength(31);
  expect(figures[0]).toMatchObject({ socPermille: 210, minutesToTarget: null });
  expect(figures[1]).toMatchObject({ socPermille: 220, minutesToTarget: null }); // rise below 20 per mille
  // At 50 %: 300 per mille left = 18,000 Wh at 50 kW = 21.6 min.
  expect(figures[29]).toMatchObject({ socPermille: 500, minutesToTarget: 22 });
  expect(figures[30]!.minutesToTarget).toBeLessThan(figures[29]!.minutesToTarget!);
});

test("a site that sends no SoC gives frames without SoC and without an estimate", () => {
  const bus = new LocalFrameBus();
  const seen: FeedEnvelope[] = [];
  bus.onEnvelope((e) => seen.push(e));
  const producer = new LiveFrameProducer({ session: () => null, tariffs: () => [] }, bus);
  producer.onTelemetry(
    liveTelemetryMessage("site-1", 1, 1_000, [
      { stallId: "s1", phase: "charging", sessionId: "x", powerW: 1, sessionEnergyWh: 1, grantedW: 1 },
    ]),
  );
  expect(seen[0]!.frame.figures).toMatchObject({ socPermille: null, minutesToTarget: null });
});
