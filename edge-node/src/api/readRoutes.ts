import type { FastifyInstance, FastifyRequest } from "fastify";
import { sessionId as toSessionId } from "@chargemesh/shared-model";
import { localApiPaths, sessionsQuerySchema } from "@chargemesh/shared-model/contracts";
import type {
  AlarmsResponse,
  DiagnosticsResponse,
  PowerPlanResponse,
  SessionDetailResponse,
  SessionsResponse,
  SiteOverview,
  StallViewContract,
  SyncState,
} from "@chargemesh/shared-model/contracts";
import type { LocalApiLimits } from "./apiLimits.js";
import type { Caller } from "./callerIdentity.js";
import { requireTechnician } from "./callerIdentity.js";
import type { LocalApiDeps } from "./localApiDeps.js";
import { LocalApiError } from "./localApiError.js";
import { sessionLedgerSlice } from "./sessionLedger.js";
import { siteAlarms } from "./siteAlarms.js";
import { siteDiagnostics } from "./siteDiagnostics.js";
import { stallFor } from "./stallViews.js";
import { parseInput } from "./zodBoundary.js";

export interface RouteContext {
  readonly deps: LocalApiDeps;
  readonly limits: LocalApiLimits;
  callerOf(req: FastifyRequest): Caller;
}

/** Every stall as `caller` may see it, with setpoints when the hardware is known. */
export function stallsFor(deps: LocalApiDeps, caller: Caller): StallViewContract[] {
  const stages = new Map((deps.hardware ?? []).map((h) => [h.config.id as string, h.stage]));
  return deps.orchestrator.stallViews().map((v) => {
    const stage = stages.get(v.stallId);
    if (!stage) return stallFor(v, caller, null);
    const entry = v.sessionId ? deps.journal.get(v.sessionId) : null;
    let setpointW = 0;
    try {
      setpointW = stage.status().appliedLimitW;
    } catch {
      setpointW = 0;
    }
    return stallFor(v, caller, {
      setpointW,
      contractId: entry?.contractId ?? null,
      sessionEnergyWh: entry?.begin ? v.registerWh - entry.begin.registerWh : 0,
    });
  });
}

const firstSeen = new WeakMap<LocalApiDeps, Map<string, number>>();

/** The read endpoints: site, plan, alarms, sync, diagnostics, sessions. */
export function readRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { deps } = ctx;
  app.get(localApiPaths.health, async () => ({ ok: true as const, siteId: deps.siteId }));
  app.get(localApiPaths.metrics, async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );

  app.get(localApiPaths.site, async (req): Promise<SiteOverview> => ({
    siteId: deps.siteId,
    gridLimitW: deps.siteLimit?.currentW() ?? deps.gridLimitW(),
    siteLimitBounds: deps.siteLimit?.bounds ?? null,
    siteTimeMs: deps.clock.now(),
    stalls: stallsFor(deps, ctx.callerOf(req)),
  }));

  app.get(localApiPaths.plan, async (): Promise<PowerPlanResponse> => ({
    plan: (deps.currentPlan() as PowerPlanResponse["plan"]) ?? null,
  }));

  app.get(localApiPaths.alarms, async (): Promise<AlarmsResponse> => {
    const seen = firstSeen.get(deps) ?? new Map<string, number>();
    firstSeen.set(deps, seen);
    const alarms = siteAlarms({
      nowMs: deps.clock.now(),
      stalls: deps.orchestrator.stallViews(),
      plan: deps.currentPlan(),
      recentSessions: deps.journal.recent(200),
      sync: deps.sync?.() ?? null,
      revocation: deps.revocation?.() ?? null,
      integrity: deps.integrity?.() ?? null,
      faultSince: (key, now) => {
        if (!seen.has(key)) seen.set(key, now);
        return seen.get(key)!;
      },
    });
    const active = new Set(alarms.map((a) => a.id));
    for (const key of seen.keys()) if (!active.has(key)) seen.delete(key);
    return { alarms };
  });

  app.get(
    localApiPaths.sync,
    async (): Promise<SyncState> =>
      deps.sync?.() ?? {
        enabled: false,
        peers: [],
        lastContactMs: null,
        unreachableSinceMs: null,
        documents: 0,
        documentsPending: null,
      },
  );

  app.get(localApiPaths.diagnostics, async (req): Promise<DiagnosticsResponse> => {
    requireTechnician(ctx.callerOf(req));
    return siteDiagnostics(
      deps.hardware ?? [],
      deps.orchestrator.stallViews(),
      deps.simulated ?? [],
      deps.ocppChargers,
    );
  });

  app.get(localApiPaths.sessions, async (req): Promise<SessionsResponse> => {
    requireTechnician(ctx.callerOf(req));
    const { limit } = parseInput(sessionsQuerySchema, req.query, "query");
    return { sessions: deps.journal.recent(limit) };
  });

  app.get<{ Params: { sessionId: string } }>(
    "/api/sessions/:sessionId",
    async (req): Promise<SessionDetailResponse> => {
      const caller = ctx.callerOf(req);
      const id = toSessionId(req.params.sessionId);
      if (caller.kind === "public")
        throw new LocalApiError("unauthorized", "a session token or technician credential is required");
      if (caller.kind === "session" && caller.sessionId !== id)
        throw new LocalApiError("forbidden", "this token is for another session");
      const entry = deps.journal.get(id);
      if (!entry) throw new LocalApiError("not_found", `no session ${id}`);
      return { session: entry, ledger: deps.ledger ? sessionLedgerSlice(entry, deps.ledger) : null };
    },
  );
}
