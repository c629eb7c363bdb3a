import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { Gauge, Registry } from "prom-client";
import type { CloudPeer } from "../sync/cloudPeer.js";
import { ApiError } from "./apiError.js";
import type { RequestAuth } from "./requestAuth.js";
import { validate } from "./validate.js";

const siteParam = z.object({ siteId: z.string().min(1).max(64) });

/** The operator's routes (operator credential required): sites' sync state, peer addresses, live figures, metrics. */
export function operatorRoutes(
  app: FastifyInstance,
  peer: CloudPeer,
  auth: RequestAuth,
  extraMetrics: readonly Registry[],
): void {
  const registry = new Registry();
  const connected = new Gauge({
    name: "chargemesh_cloud_sites_connected",
    help: "Registered sites connected now",
    registers: [registry],
  });
  const behind = new Gauge({
    name: "chargemesh_cloud_documents_behind",
    help: "Indexed site documents not held yet",
    labelNames: ["site"],
    registers: [registry],
  });
  const metrics = Registry.merge([registry, peer.live.registry, peer.guardMetrics, ...extraMetrics]);

  app.get("/api/sites", async (req) => {
    auth.operator(req);
    return {
      peerId: peer.node.peerId.toString(),
      listen: peer.node.getMultiaddrs().map(String),
      sites: peer.syncState(),
      flaggedPeers: peer.writeGuard.flaggedPeers(),
    };
  });

  app.get("/api/sites/:siteId/live", async (req) => {
    auth.operator(req);
    const { siteId } = validate(siteParam, req.params, "site ID");
    if (!peer.live.watching(siteId)) throw new ApiError("not_found", `unknown site ${siteId}`);
    return { siteId, live: peer.live.latest(siteId) };
  });

  app.get("/metrics", async (req, reply) => {
    auth.operator(req);
    const state = peer.syncState();
    connected.set(state.filter((s) => s.connected).length);
    for (const s of state) behind.set({ site: s.siteId }, s.documentsBehind);
    reply.header("content-type", metrics.contentType);
    return metrics.metrics();
  });
}
