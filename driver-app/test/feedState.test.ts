import { expect, test } from "vitest";
import type { FeedFrame } from "@chargemesh/shared-model/contracts";
import { applyFeedMessage, emptyFeedState, liveSessions, resumePositions } from "../src/live/feedState.js";
import { chooseSource, SILENT_AFTER_MS } from "../src/live/sourceChoice.js";
import { energy, money, power, soc } from "../src/format.js";

const frame = (seq: number, energyWh: number, phase: "charging" | "ended" = "charging"): FeedFrame => ({
  type: "frame",
  seq,
  figures: {
    sessionId: "site-1:s",
    siteId: "site-1",
    stallId: "s1",
    phase,
    powerW: 11_000,
    energyWh,
    costMinor: null,
    currency: null,
    socPermille: 500,
    minutesToTarget: 20,
    siteTimeMs: seq,
  },
});

test("the view shows each frame once in seq order: duplicates dropped, a skipped seq counted, a reset replaces", () => {
  let s = applyFeedMessage(emptyFeedState, {
    type: "hello",
    subject: { kind: "account", accountId: "a" },
    source: "cloud",
    sessions: [frame(3, 30)],
    atMs: 0,
  });
  s = applyFeedMessage(s, frame(3, 30));
  s = applyFeedMessage(s, frame(4, 40));
  s = applyFeedMessage(s, frame(2, 20));
  expect(s.frames["site-1:s"]!.seq).toBe(4);
  expect(s.duplicates).toBe(2);
  s = applyFeedMessage(s, frame(6, 60));
  expect(s.gaps).toBe(1);
  s = applyFeedMessage(s, { type: "reset", frame: frame(90, 900) });
  expect(resumePositions(s)).toEqual([{ sessionId: "site-1:s", seq: 90 }]);
  expect(liveSessions(s).map((f) => f.energyWh)).toEqual([900]);
  s = applyFeedMessage(s, frame(91, 900, "ended"));
  expect(liveSessions(s)).toEqual([]);
  expect(s.ended).toEqual(["site-1:s"]);
});

test("a session first seen already ended (a page load, a fresh hello) raises no ended notice; one seen charging does, once", () => {
  const hello = (sessions: FeedFrame[]) =>
    applyFeedMessage(emptyFeedState, {
      type: "hello",
      subject: { kind: "account", accountId: "a" },
      source: "cloud",
      sessions,
      atMs: 0,
    });
  let reloaded = hello([frame(7, 70, "ended")]);
  reloaded = applyFeedMessage(reloaded, frame(8, 70, "ended"));
  expect(reloaded.ended).toEqual([]);
  let watched = hello([frame(7, 70)]);
  watched = applyFeedMessage(watched, frame(8, 80, "ended"));
  watched = applyFeedMessage(watched, frame(9, 80, "ended"));
  expect(watched.ended).toEqual(["site-1:s"]);
});

test("the dashboard reads the cloud while it speaks, the site once the cloud is silent, and says since when", () => {
  const cloud = { connected: true, lastMessageAtMs: 1_000, refused: null };
  const site = { connected: true, lastMessageAtMs: 1_500 + SILENT_AFTER_MS, refused: null };
  expect(chooseSource(cloud, site, 2_000)).toEqual({ source: "cloud", cloudSilentSinceMs: null });
  expect(chooseSource(cloud, site, 1_000 + SILENT_AFTER_MS + 1)).toEqual({
    source: "site",
    cloudSilentSinceMs: 1_000,
  });
  expect(chooseSource({ ...cloud, connected: false }, null, 1_200)).toEqual({
    source: "none",
    cloudSilentSinceMs: 1_000,
  });
});

test("figures are formatted from integers without float rounding surprises", () => {
  expect(money(1_234, "EUR")).toBe("€12.34");
  expect(money(-5, "EUR")).toBe("-€0.05");
  expect(money(null, null)).toBe("—");
  expect(energy(12_345)).toBe("12.34 kWh");
  expect(power(11_050)).toBe("11.0 kW");
  expect(soc(634)).toBe("63 %");
});
