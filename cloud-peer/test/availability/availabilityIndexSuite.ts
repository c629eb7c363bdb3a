import { expect, test } from "vitest";
import type { AvailabilityIndex, SiteAvailability } from "../../src/availability/availabilityIndex.js";

const price = { currency: "EUR", energyMinorPerKWh: 39, sessionFeeMinor: 50 };
const report = (
  siteId: string,
  reportedAtMs: number,
  states: SiteAvailability["stalls"][number]["state"][],
  connector: "ccs2" | "type2" = "ccs2",
): SiteAvailability => ({
  siteId,
  reportedAtMs,
  stalls: states.map((state, i) => ({ stallId: `s${i + 1}`, connector, state })),
  price,
});

/** The one suite every AvailabilityIndex passes (memory, Redis). `make` returns a fresh, empty index with a 15 s freshness window and room for 3 sites. */
export function availabilityIndexSuite(name: string, make: () => Promise<AvailabilityIndex>): void {
  test(`${name}: counts free, occupied and out-of-service stalls by connector with the site's price`, async () => {
    const index = await make();
    await index.report({
      siteId: "site-a",
      reportedAtMs: 1_000,
      stalls: [
        { stallId: "s1", connector: "ccs2", state: "free" },
        { stallId: "s2", connector: "ccs2", state: "occupied" },
        { stallId: "s3", connector: "type2", state: "free" },
        { stallId: "s4", connector: "type2", state: "out_of_service" },
      ],
      price,
    });
    const [station] = await index.stations(2_000);
    expect(station).toEqual({
      siteId: "site-a",
      fresh: true,
      reportedAtMs: 1_000,
      ageMs: 1_000,
      connectors: [
        { connector: "ccs2", free: 1, occupied: 1, outOfService: 0 },
        { connector: "type2", free: 1, occupied: 0, outOfService: 1 },
      ],
      price,
    });
    await index.close();
  });

  test(`${name}: a stale site is shown stale with nothing free, and never passes the free filter`, async () => {
    const index = await make();
    await index.report(report("site-a", 1_000, ["free", "free"]));
    await index.report(report("site-b", 10_000, ["free", "occupied"]));
    const at = 17_000; // site-a is 16 s old, site-b 7 s
    const all = await index.stations(at);
    expect(all.map((s) => [s.siteId, s.fresh])).toEqual([
      ["site-a", false],
      ["site-b", true],
    ]);
    expect(all[0]!.connectors).toEqual([{ connector: "ccs2", free: 0, occupied: 0, outOfService: 0 }]);
    expect((await index.stations(at, { onlyFree: true })).map((s) => s.siteId)).toEqual(["site-b"]);
    await index.close();
  });

  test(`${name}: filters by connector; a newer report replaces the site's figures, an older one is ignored`, async () => {
    const index = await make();
    await index.report(report("site-a", 5_000, ["free"], "ccs2"));
    await index.report(report("site-b", 5_000, ["free"], "type2"));
    expect((await index.stations(6_000, { connector: "type2" })).map((s) => s.siteId)).toEqual(["site-b"]);
    await index.report(report("site-a", 6_000, ["occupied"]));
    await index.report(report("site-a", 4_000, ["free"]));
    const a = (await index.stations(7_000)).find((s) => s.siteId === "site-a")!;
    expect(a.connectors).toEqual([{ connector: "ccs2", free: 0, occupied: 1, outOfService: 0 }]);
    expect((await index.stations(7_000, { connector: "ccs2", onlyFree: true })).map((s) => s.siteId)).toEqual(
      [],
    );
    await index.close();
  });

  test(`${name}: an invalid report is refused and a full index refuses new sites, keeping what it holds`, async () => {
    const index = await make();
    await expect(index.report({ ...report("site-a", 1, ["free"]), reportedAtMs: -1 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      index.report({
        ...report("site-a", 1, ["free"]),
        stalls: [{ stallId: "", connector: "ccs2", state: "free" }],
      }),
    ).rejects.toThrow(RangeError);
    for (const s of ["site-1", "site-2", "site-3"]) await index.report(report(s, 1_000, ["free"]));
    await expect(index.report(report("site-4", 1_000, ["free"]))).rejects.toThrow(RangeError);
    await index.report(report("site-1", 2_000, ["occupied"]));
    expect((await index.stations(2_500)).map((s) => s.siteId)).toEqual(["site-1", "site-2", "site-3"]);
    await index.close();
  });
}
