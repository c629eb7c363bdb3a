import type { FastifyInstance } from "fastify";
import { stallId as toStallId } from "@chargemesh/shared-model";
import {
  localApiPaths,
  outOfServiceRequestSchema,
  restartChargerRequestSchema,
  siteLimitRequestSchema,
  stopRequestSchema,
} from "@chargemesh/shared-model/contracts";
import type {
  OutOfServiceResponse,
  RestartChargerResponse,
  SiteLimitResponse,
  StallChargersResponse,
  StopResponse,
  TechnicianResponse,
} from "@chargemesh/shared-model/contracts";
import { requireTechnician } from "./callerIdentity.js";
import { LocalApiError } from "./localApiError.js";
import type { RouteContext } from "./readRoutes.js";
import { parseInput } from "./zodBoundary.js";

/** The technician endpoints: who am I, stop a session, out of service and back (an OCPP charger
 *  hears ChangeAvailability), restart a stall's OCPP charger (Reset), the stalls' chargers, the site
 *  limit. Each needs a technician credential; actions are recorded in the day journal with who and when. */
export function actionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx;
  app.get(localApiPaths.technician, async (req): Promise<TechnicianResponse> => ({
    technicianId: requireTechnician(ctx.callerOf(req)),
  }));

  app.post<{ Params: { stallId: string } }>(
    "/api/stalls/:stallId/stop",
    async (req, reply): Promise<StopResponse> => {
      const technician = requireTechnician(ctx.callerOf(req));
      const stall = toStallId(req.params.stallId);
      const { note = "" } = parseInput(stopRequestSchema, req.body, "body");
      const sessionId = deps.orchestrator.activeSessionOf(stall);
      if (!deps.orchestrator.requestStop(stall, "technician_stop", technician)) {
        throw new LocalApiError("conflict", `stall ${stall} has no active session`);
      }
      await deps.journal.recordTechnicianAction({
        at: deps.clock.now(),
        technicianId: technician,
        action: "stop_session",
        stallId: stall,
        sessionId,
        note,
      });
      void reply.status(202);
      return { accepted: true, sessionId };
    },
  );

  app.post<{ Params: { stallId: string } }>(
    "/api/stalls/:stallId/out-of-service",
    async (req): Promise<OutOfServiceResponse> => {
      const technician = requireTechnician(ctx.callerOf(req));
      const stall = toStallId(req.params.stallId);
      const body = parseInput(outOfServiceRequestSchema, req.body, "body");
      if (!(await deps.orchestrator.setOutOfService(stall, body.outOfService, technician, body.note ?? ""))) {
        throw new LocalApiError("not_found", `no stall ${stall}`);
      }
      const charger = (await deps.chargers?.setAvailability(stall, !body.outOfService, technician)) ?? null;
      return { stallId: stall, outOfService: body.outOfService, charger };
    },
  );

  app.post<{ Params: { stallId: string } }>(
    "/api/stalls/:stallId/restart-charger",
    async (req): Promise<RestartChargerResponse> => {
      const technician = requireTechnician(ctx.callerOf(req));
      const stall = toStallId(req.params.stallId);
      const body = parseInput(restartChargerRequestSchema, req.body, "body");
      if (!deps.orchestrator.stallViews().some((v) => v.stallId === stall))
        throw new LocalApiError("not_found", `no stall ${stall}`);
      const charger = deps.chargers?.hasCharger(stall)
        ? await deps.chargers.reset(stall, body.type, technician)
        : null;
      if (!charger) throw new LocalApiError("conflict", `stall ${stall} has no OCPP charger to restart`);
      await deps.journal.recordTechnicianAction({
        at: deps.clock.now(),
        technicianId: technician,
        action: "restart_charger",
        stallId: stall,
        sessionId: deps.orchestrator.activeSessionOf(stall),
        note: body.note ?? "",
      });
      return { stallId: stall, type: body.type, charger };
    },
  );

  app.get(localApiPaths.stallChargers, async (req): Promise<StallChargersResponse> => {
    requireTechnician(ctx.callerOf(req));
    return { stalls: deps.chargers?.chargers() ?? [] };
  });

  app.post(localApiPaths.siteLimit, async (req): Promise<SiteLimitResponse> => {
    const technician = requireTechnician(ctx.callerOf(req));
    const body = parseInput(siteLimitRequestSchema, req.body, "body");
    if (!deps.siteLimit)
      throw new LocalApiError("unavailable", "this site's limit cannot be changed from the kiosk");
    const { previousW } = await deps.siteLimit.set(body.limitW, technician, body.note ?? "");
    return { limitW: body.limitW, previousW };
  });
}
