import type { Redis } from "ioredis";
import type { Station } from "@chargemesh/shared-model/contracts";
import {
  AVAILABILITY_MAX_SITES,
  checkReport,
  siteAvailabilitySchema,
  stationMatches,
  stationOf,
} from "./availabilityIndex.js";
import type { AvailabilityIndex, SiteAvailability, StationFilter } from "./availabilityIndex.js";

// Replaces the site's entry only when the report is at least as new as the held one; refuses a new site past the bound.
const REPORT_SCRIPT = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then
  local at = tonumber(string.match(held, '"reportedAtMs":(%d+)'))
  if at and at > tonumber(ARGV[3]) then return 0 end
elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/**
 * The availability index in Redis (one hash, site ID -> report JSON), shared by several gateway
 * processes. What comes back from Redis is validated like peer input: an entry that does not parse
 * is skipped and counted (`skippedEntries`), never shown.
 */
export class RedisAvailabilityIndex implements AvailabilityIndex {
  skippedEntries = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key = "chargemesh:availability",
    private readonly staleAfterMs = 15_000,
    private readonly maxSites = AVAILABILITY_MAX_SITES,
  ) {}

  async report(r: SiteAvailability): Promise<void> {
    const report = checkReport(r);
    // reportedAtMs first: the script reads it from the held JSON's text.
    const json = JSON.stringify({
      reportedAtMs: report.reportedAtMs,
      siteId: report.siteId,
      stalls: report.stalls,
      price: report.price,
    });
    const done = await this.redis.eval(
      REPORT_SCRIPT,
      1,
      this.key,
      report.siteId,
      json,
      report.reportedAtMs,
      this.maxSites,
    );
    if (done === -1) throw new RangeError(`availability index full (${this.maxSites} sites)`);
  }

  async stations(nowMs: number, filter?: StationFilter): Promise<Station[]> {
    const all = await this.redis.hgetall(this.key);
    const out: Station[] = [];
    for (const json of Object.values(all)) {
      let parsed;
      try {
        parsed = siteAvailabilitySchema.safeParse(JSON.parse(json));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        this.skippedEntries++;
        continue;
      }
      const s = stationOf(parsed.data, nowMs, this.staleAfterMs);
      if (stationMatches(s, filter)) out.push(s);
    }
    return out.sort((a, b) => a.siteId.localeCompare(b.siteId));
  }

  /** Leaves the Redis connection to its owner. */
  async close(): Promise<void> {}
}
