import type { Station } from "@chargemesh/shared-model/contracts";
import { AVAILABILITY_MAX_SITES, checkReport, stationMatches, stationOf } from "./availabilityIndex.js";
import type { AvailabilityIndex, SiteAvailability, StationFilter } from "./availabilityIndex.js";

/** The availability index in this process's memory (the embedded default). */
export class MemoryAvailabilityIndex implements AvailabilityIndex {
  private readonly sites = new Map<string, SiteAvailability>();

  constructor(
    private readonly staleAfterMs = 15_000,
    private readonly maxSites = AVAILABILITY_MAX_SITES,
  ) {}

  async report(r: SiteAvailability): Promise<void> {
    const report = checkReport(r);
    const held = this.sites.get(report.siteId);
    if (held && held.reportedAtMs > report.reportedAtMs) return;
    if (!held && this.sites.size >= this.maxSites)
      throw new RangeError(`availability index full (${this.maxSites} sites)`);
    this.sites.set(report.siteId, report);
  }

  async stations(nowMs: number, filter?: StationFilter): Promise<Station[]> {
    return [...this.sites.values()]
      .map((r) => stationOf(r, nowMs, this.staleAfterMs))
      .filter((s) => stationMatches(s, filter))
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
  }

  async close(): Promise<void> {}
}
