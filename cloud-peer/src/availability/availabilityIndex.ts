import { z } from "zod";
import { connectorTypes, stationPriceSchema } from "@chargemesh/shared-model/contracts";
import type {
  ConnectorAvailability,
  ConnectorType,
  Station,
  StationPrice,
} from "@chargemesh/shared-model/contracts";

export const stallStates = ["free", "occupied", "out_of_service"] as const;
export type StallState = (typeof stallStates)[number];

/** What one site reported: each stall's connector and state, and the price that applies now. */
export const siteAvailabilitySchema = z.object({
  siteId: z.string().min(1).max(64),
  /** When the figures were received (cloud clock). */
  reportedAtMs: z.number().int().nonnegative(),
  stalls: z
    .array(
      z.object({
        stallId: z.string().min(1).max(128),
        connector: z.enum(connectorTypes),
        state: z.enum(stallStates),
      }),
    )
    .max(512),
  price: stationPriceSchema.nullable(),
});
export type SiteAvailability = z.infer<typeof siteAvailabilitySchema>;

export interface StationFilter {
  readonly connector?: ConnectorType;
  /** Only sites with a free stall (of `connector` when given) whose figures are fresh. */
  readonly onlyFree?: boolean;
}

/** More sites than one deployment serves: bounds what the index holds. */
export const AVAILABILITY_MAX_SITES = 100_000;

/**
 * The availability index: per site, free and occupied stalls by connector type and the current
 * price. Implementations (memory, Redis) pass one suite (cloud-peer/test/availability). A site whose
 * latest report is older than the freshness window is returned stale, with nothing counted free.
 */
export interface AvailabilityIndex {
  /** Replaces the site's figures with a newer report (an older one than held is ignored). Rejects with a RangeError for an invalid report or when the index is full. */
  report(r: SiteAvailability): Promise<void>;
  /** Every site's station view at `nowMs`, by site ID, filtered. */
  stations(nowMs: number, filter?: StationFilter): Promise<Station[]>;
  close(): Promise<void>;
}

/** The station view of one report at `nowMs`: counts by connector, or a stale site with nothing free. Pure. */
export function stationOf(r: SiteAvailability, nowMs: number, staleAfterMs: number): Station {
  const ageMs = Math.max(0, nowMs - r.reportedAtMs);
  const fresh = ageMs < staleAfterMs;
  const by = new Map<ConnectorType, ConnectorAvailability>();
  for (const s of r.stalls) {
    const c = by.get(s.connector) ?? { connector: s.connector, free: 0, occupied: 0, outOfService: 0 };
    if (fresh) {
      if (s.state === "free") c.free++;
      else if (s.state === "occupied") c.occupied++;
      else c.outOfService++;
    }
    by.set(s.connector, c);
  }
  return {
    siteId: r.siteId,
    fresh,
    reportedAtMs: r.reportedAtMs,
    ageMs,
    connectors: [...by.values()].sort((a, b) => a.connector.localeCompare(b.connector)),
    price: r.price,
  };
}

/** Whether a station passes the filter. Pure. */
export function stationMatches(s: Station, filter: StationFilter | undefined): boolean {
  if (!filter) return true;
  const connectors = filter.connector
    ? s.connectors.filter((c) => c.connector === filter.connector)
    : s.connectors;
  if (filter.connector && connectors.length === 0) return false;
  if (filter.onlyFree) return s.fresh && connectors.some((c) => c.free > 0);
  return true;
}

/** Validates a report; throws a RangeError naming the first problem. */
export function checkReport(r: SiteAvailability): SiteAvailability {
  const parsed = siteAvailabilitySchema.safeParse(r);
  if (!parsed.success)
    throw new RangeError(`invalid availability report: ${parsed.error.issues[0]?.message ?? "?"}`);
  return parsed.data;
}

export type { StationPrice };
