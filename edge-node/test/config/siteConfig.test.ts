import { describe, expect, test } from "vitest";
import { ChargemeshError } from "@chargemesh/shared-model";
import { parseSiteConfig } from "../../src/config/siteConfig.js";

const good = {
  siteId: "site-a",
  gridLimitW: 150_000,
  stalls: [
    { id: "s1", meterId: "m1", maxW: 50_000 },
    { id: "s2", meterId: "m2", maxW: 22_000, minW: 4_140, meter: { kind: "sdm630", path: "/dev/ttyUSB0" } },
  ],
};

describe("site config", () => {
  test("fills defaults and types IDs", () => {
    const c = parseSiteConfig(good);
    expect(c.checkpointIntervalMs).toBe(60_000);
    expect(c.stalls[1]!.meter).toEqual({ kind: "sdm630", path: "/dev/ttyUSB0", unitId: 1, baudRate: 9600 });
    expect(c.offlinePolicy.unknownContractMaxEnergyWh).toBe(30_000);
  });

  test("names every bad field", () => {
    try {
      parseSiteConfig({ ...good, gridLimitW: -1, checkpointIntervalMs: 5_000 });
      expect.fail("should throw");
    } catch (e) {
      expect(e).toBeInstanceOf(ChargemeshError);
      expect((e as ChargemeshError).code).toBe("invalid_input");
      expect((e as Error).message).toContain("gridLimitW");
      expect((e as Error).message).toContain("checkpointIntervalMs");
    }
  });

  test("refuses duplicate stalls and minW above maxW", () => {
    expect(() => parseSiteConfig({ ...good, stalls: [good.stalls[0], good.stalls[0]] })).toThrow(
      /duplicate stall/,
    );
    expect(() =>
      parseSiteConfig({ ...good, stalls: [{ id: "x", meterId: "m", maxW: 1000, minW: 2000 }] }),
    ).toThrow(/minW > maxW/);
    expect(() => parseSiteConfig({ ...good, siteId: "bad id with spaces" })).toThrow(/site ID/);
  });

  test("a sync section names cloud peers by multiaddr with a peer ID; the interval stays within 1-5 s", () => {
    const peer = "/ip4/203.0.113.7/tcp/4002/p2p/12D3KooWRegionAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    const c = parseSiteConfig({ ...good, sync: { cloudPeers: [peer] } });
    expect(c.sync).toEqual({ cloudPeers: [peer], liveIntervalMs: 5_000 });
    expect(() => parseSiteConfig({ ...good, sync: { cloudPeers: ["/ip4/203.0.113.7/tcp/4002"] } })).toThrow(
      /sync.cloudPeers.0: a multiaddr ending in \/p2p/,
    );
    expect(() => parseSiteConfig({ ...good, sync: { cloudPeers: [] } })).toThrow(/sync.cloudPeers/);
    expect(() => parseSiteConfig({ ...good, sync: { cloudPeers: [peer], liveIntervalMs: 500 } })).toThrow(
      /sync.liveIntervalMs/,
    );
    expect(() => parseSiteConfig({ ...good, sync: { cloudPeers: [peer], configUrl: "http://x" } })).toThrow(
      /sync.configUrl/,
    );
  });
});
