import type { FastifyInstance } from "fastify";
import type { Clock } from "@chargemesh/shared-model";
import { cloudApiPaths, stationFinderQuerySchema } from "@chargemesh/shared-model/contracts";
import type { StationFinderResponse } from "@chargemesh/shared-model/contracts";
import type { AvailabilityIndex } from "../availability/availabilityIndex.js";
import { validate } from "./validate.js";

/** The station finder (public: stall counts by connector, prices and freshness; no sessions, no identities of drivers). */
export function stationRoutes(app: FastifyInstance, index: AvailabilityIndex, clock: Clock): void {
  app.get(cloudApiPaths.stations, async (req): Promise<StationFinderResponse> => {
    const q = validate(stationFinderQuerySchema, req.query, "station query");
    const atMs = clock.now();
    const filter = { ...(q.connector ? { connector: q.connector } : {}), onlyFree: q.onlyFree === "true" };
    return { atMs, stations: await index.stations(atMs, filter) };
  });
}
