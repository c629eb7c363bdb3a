import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import { SimVehicle } from "@chargemesh/hal";
import { SimulatedSite } from "@chargemesh/simulation";

const dir = mkdtempSync(join(tmpdir(), "cm-revoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("an offline site charges cars only through certificates and refuses a contract once it holds the list that revokes it", async () => {
  const site = await SimulatedSite.create({
    siteId: "rev-site",
    dataDir: dir,
    stalls: 2,
    vehicles: 0,
    seed: 9,
    offline: true,
    startMs: Date.UTC(2026, 5, 1, 8),
    windowMs: 3_600_000,
    log: pino({ level: "silent" }),
  });
  try {
    const contract = site.contracts[0]!;
    const car = () =>
      new SimVehicle(
        { capacityWh: 60_000, socPermille: 200, targetPermille: 800, maxPowerW: 100_000 },
        contract.secureElement,
        contract.chain,
      );
    const plugAndSettle = async () => {
      site.stalls[0]!.plug(car());
      await site.advance(120_000);
      const s = site.controller.journal.recent(1)[0]!;
      site.stalls[0]!.unplug();
      await site.advance(5_000);
      return site.controller.journal.get(s.sessionId)!;
    };
    const first = await plugAndSettle();
    expect(first.authorization).toMatchObject({ accepted: true, reason: "Accepted", mode: "offline" });
    expect(first.state).toBe("completed");
    expect(first.end!.registerWh - first.begin!.registerWh).toBeGreaterThan(1_000);

    // A car without a certificate (VIN only) is never an identity.
    site.stalls[1]!.plug(
      new SimVehicle(
        { capacityWh: 60_000, socPermille: 200, targetPermille: 800, maxPowerW: 100_000 },
        contract.secureElement,
        [],
        "WVWZZZ1JZXW000001",
      ),
    );
    await site.advance(5_000);
    expect(site.controller.journal.recent(1)[0]!.authorization?.reason).toBe("NoCertificateAvailable");
    site.stalls[1]!.unplug();

    site.revokeContract(0);
    const second = await plugAndSettle();
    expect(second.state).toBe("rejected");
    expect(second.authorization?.reason).toBe("CertificateRevoked");
    expect(second.begin).toBeNull();
  } finally {
    await site.stop();
  }
}, 60_000);
