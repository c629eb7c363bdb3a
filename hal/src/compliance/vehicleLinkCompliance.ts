import { expect, test } from "vitest";
import type { PlugEvent, VehicleLink } from "../vehicleLink.js";

export interface VehicleLinkHarness {
  readonly link: VehicleLink;
  /** Whether the link reports the car's acceptance (ISO 15118 at the stall). A link that cannot
   *  (OCPP: the charger does not relay it) must say nothing (null) rather than guess. Default true. */
  readonly reportsAcceptance?: boolean;
  plugCar(): Promise<void>;
  unplugCar(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The tests every VehicleLink passes: plug events with a chain, challenge signing only while plugged
 * (a link whose plug event says the charger's SECC proves possession never signs: the site must not
 * take a signature it did not get from the car), acceptance as integers or, where not reported, null.
 */
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
      if (plugs[0]!.proofOfPossession === "charger-secc") {
        await expect(h.link.signChallenge(new Uint8Array(16).fill(1))).rejects.toThrow();
      } else {
        const sig = await h.link.signChallenge(new Uint8Array(16).fill(1));
        expect(sig.length).toBeGreaterThan(60);
      }
      if (h.reportsAcceptance === false) expect(h.link.acceptance()).toBeNull();
      else {
        const a = h.link.acceptance()!;
        expect(Number.isSafeInteger(a.maxPowerW) && a.socPermille >= 0 && a.socPermille <= 1000).toBe(true);
      }
      await h.unplugCar();
      expect(unplugs).toBe(1);
      expect(h.link.plugged()).toBe(false);
    } finally {
      await h.close();
    }
  });
}
