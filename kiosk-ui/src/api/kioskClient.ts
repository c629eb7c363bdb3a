import type { z } from "zod";
import {
  alarmsResponseSchema,
  apiErrorBodySchema,
  diagnosticsResponseSchema,
  localApiPaths,
  outOfServiceResponseSchema,
  powerPlanResponseSchema,
  restartChargerResponseSchema,
  sessionDetailResponseSchema,
  sessionsResponseSchema,
  siteLimitResponseSchema,
  siteOverviewSchema,
  stallChargersResponseSchema,
  stopResponseSchema,
  syncStateSchema,
  technicianResponseSchema,
} from "@chargemesh/shared-model/contracts";

/** An answer the site refused or that did not match the contract: a code and a sentence. */
export class KioskApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The kiosk's client of the site's local API (same origin). Every answer is checked against the
 * contract's schema; the technician credential goes in the Authorization header only. Rejects with
 * KioskApiError (code `offline` when the site does not answer).
 */
export function kioskClient(credential: () => string | null, base = "") {
  async function call<T extends z.ZodTypeAny>(
    schema: T,
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<z.infer<T>> {
    const token = credential();
    let r: Response;
    try {
      r = await fetch(base + path, {
        method: init.method ?? "GET",
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch {
      throw new KioskApiError("offline", "the site controller does not answer", 0);
    }
    const json: unknown = await r.json().catch(() => null);
    if (!r.ok) {
      const e = apiErrorBodySchema.safeParse(json);
      throw new KioskApiError(
        e.success ? e.data.error.code : "http_error",
        e.success ? e.data.error.message : `HTTP ${r.status}`,
        r.status,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new KioskApiError(
        "bad_answer",
        `the site's answer to ${path} does not match the contract`,
        r.status,
      );
    return parsed.data;
  }
  return {
    site: () => call(siteOverviewSchema, localApiPaths.site),
    plan: () => call(powerPlanResponseSchema, localApiPaths.plan),
    alarms: () => call(alarmsResponseSchema, localApiPaths.alarms),
    sync: () => call(syncStateSchema, localApiPaths.sync),
    diagnostics: () => call(diagnosticsResponseSchema, localApiPaths.diagnostics),
    sessions: (limit = 50) => call(sessionsResponseSchema, `${localApiPaths.sessions}?limit=${limit}`),
    session: (id: string) => call(sessionDetailResponseSchema, localApiPaths.session(id)),
    whoAmI: () => call(technicianResponseSchema, localApiPaths.technician),
    stop: (stallId: string, note: string) =>
      call(stopResponseSchema, localApiPaths.stop(stallId), { method: "POST", body: { note } }),
    outOfService: (stallId: string, outOfService: boolean, note: string) =>
      call(outOfServiceResponseSchema, localApiPaths.outOfService(stallId), {
        method: "POST",
        body: { outOfService, note },
      }),
    restartCharger: (stallId: string, type: "OnIdle" | "Immediate", note: string) =>
      call(restartChargerResponseSchema, localApiPaths.restartCharger(stallId), {
        method: "POST",
        body: { type, note },
      }),
    stallChargers: () => call(stallChargersResponseSchema, localApiPaths.stallChargers),
    siteLimit: (limitW: number, note: string) =>
      call(siteLimitResponseSchema, localApiPaths.siteLimit, { method: "POST", body: { limitW, note } }),
  };
}
export type KioskClient = ReturnType<typeof kioskClient>;
