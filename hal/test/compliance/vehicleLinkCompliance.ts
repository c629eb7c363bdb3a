import { expect, test } from "vitest";
import type { PlugEvent, VehicleLink } from "../../src/vehicleLink.js";

export interface VehicleLinkHarness {
  readonly link: VehicleLink;
  plugCar(): Promise<void>;
  unplugCar(): Promise<void>;
  close(): Promise<void>;
}

/** The tests every VehicleLink passes: plug events with a chain, challenge signing only while plugged, acceptance. */
export function runVehicleLinkCompliance(name: string, setup: () => Promise<VehicleLinkHarness>): void {
  test(`${name}: plug and unplug are announced; the car signs only while plugged`, async () => {
    const h = await setup();
    try {
      const plugs: PlugEvent[] = [];
      let unplugs = 0;
      h.link.onPlug((e) => plugs.push(e));
      h.link.onUnplug(() => unplugs++);
      await expect(h.link.signChallenge(new Uint8Array(16))).rejects.toThrow();
      expect(h.link.acceptance()).toBeNull();
      await h.plugCar();
      expect(plugs).toHaveLength(1);
      expect(plugs[0]!.certificateChain.length).toBeGreaterThan(0);
      expect(h.link.plugged()).toBe(true);
      const sig = await h.link.signChallenge(new Uint8Array(16).fill(1));
      expect(sig.length).toBeGreaterThan(60);
      const a = h.link.acceptance()!;
      expect(Number.isSafeInteger(a.maxPowerW) && a.socPermille >= 0 && a.socPermille <= 1000).toBe(true);
      await h.unplugCar();
      expect(unplugs).toBe(1);
      expect(h.link.plugged()).toBe(false);
    } finally {
      await h.close();
    }
  });
}
