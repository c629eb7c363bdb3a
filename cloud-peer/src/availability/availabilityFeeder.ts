import type { LiveTelemetry } from "@chargemesh/shared-model";
import type { ConnectorType, StationPrice } from "@chargemesh/shared-model/contracts";
import type { SiteAvailability, StallState } from "./availabilityIndex.js";

const stateOfPhase: Record<LiveTelemetry["stalls"][number]["phase"], StallState> = {
  available: "free",
  authorizing: "occupied",
  charging: "occupied",
  stopping: "occupied",
  out_of_service: "out_of_service",
};

/**
 * A site's availability report from one live telemetry message: each stall's state from its phase,
 * its connector from `connectorOf` ("unspecified" when the site's catalogue does not say), the
 * price the site's config document publishes now. Pure.
 */
export function availabilityFromTelemetry(
  m: LiveTelemetry,
  receivedAtMs: number,
  connectorOf: (siteId: string, stallId: string) => ConnectorType,
  price: StationPrice | null,
): SiteAvailability {
  return {
    siteId: m.siteId,
    reportedAtMs: receivedAtMs,
    stalls: m.stalls.map((s) => ({
      stallId: s.stallId,
      connector: connectorOf(m.siteId, s.stallId),
      state: stateOfPhase[s.phase],
    })),
    price,
  };
}
