/**
 * The typed messages of a site's local HTTP API (edge-node serves them; kiosk-ui and driver-app read
 * them). zod schemas at the trust boundary, inferred types for both sides. Integers only: W, Wh, ms.
 * Changing a field here changes both ends at once; add fields, never repurpose one.
 */
import { z } from "zod";
import { journalEntrySchema } from "../documents/documentSchemas.js";

const id = z.string().min(1).max(128);
const watts = z.number().int().nonnegative();
const wh = z.number().int().nonnegative();
const ms = z.number().int();
const note = z.string().max(500);

/** Every error the local API answers: a stable code and a sentence for people. */
export const apiErrorBodySchema = z.object({
  error: z.object({ code: z.string().min(1).max(64), message: z.string().max(2_000) }),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;

export const stallPhases = ["available", "authorizing", "charging", "stopping", "out_of_service"] as const;
export const stallPhaseSchema = z.enum(stallPhases);
export type StallPhaseContract = z.infer<typeof stallPhaseSchema>;

/** One stall as the API shows it; `sessionId` and `registerWh` only to technicians. */
export const stallViewSchema = z.object({
  stallId: id,
  phase: stallPhaseSchema,
  powerW: watts,
  meterFault: z.string().max(500).nullable(),
  sessionId: id.nullable().optional(),
  registerWh: wh.optional(),
  /** The limit the stall's power stage enforces now, W (technicians). */
  setpointW: watts.optional(),
  /** The car's contract (technicians), null before authorization. */
  contractId: id.nullable().optional(),
  /** Energy of the stall's session so far, Wh (technicians). */
  sessionEnergyWh: wh.optional(),
});
export type StallViewContract = z.infer<typeof stallViewSchema>;

/** The bounds a technician may set the site limit within, W. */
export const siteLimitBoundsSchema = z.object({ minW: watts, maxW: watts });
export type SiteLimitBounds = z.infer<typeof siteLimitBoundsSchema>;

/** GET /api/site */
export const siteOverviewSchema = z.object({
  siteId: id,
  /** The site limit in force, W. */
  gridLimitW: watts,
  /** Null when the site limit cannot be changed from the kiosk. */
  siteLimitBounds: siteLimitBoundsSchema.nullable().optional(),
  /** The site's clock (virtual in simulation), ms. */
  siteTimeMs: ms.optional(),
  stalls: z.array(stallViewSchema).max(512),
});
export type SiteOverview = z.infer<typeof siteOverviewSchema>;

export interface LimitNodeContract {
  readonly id: string;
  readonly limitW: number;
  readonly children?: readonly LimitNodeContract[];
}
export const limitNodeSchema: z.ZodType<LimitNodeContract> = z.lazy(() =>
  z.object({ id, limitW: watts, children: z.array(limitNodeSchema).max(512).optional() }),
);

export const stallBindings = [
  "no_demand",
  "out_of_contact",
  "car_acceptance",
  "stall_max",
  "measured_draw",
  "node_limit",
  "minimum_unavailable",
] as const;

export const planSetpointSchema = z.object({
  stallId: id,
  setpointW: watts,
  demandW: watts,
  tier: z.number().int(),
  binding: z.enum(stallBindings),
  bindingNodeId: id.nullable(),
});
export const planNodeSchema = z.object({
  nodeId: id,
  limitW: watts,
  allocatedW: watts,
  reservedW: watts,
  overcommitted: z.boolean(),
});
export const planStallInputSchema = z
  .object({ stallId: id, nodeId: id, maxW: watts, minW: watts, acceptanceW: watts, inContact: z.boolean() })
  .passthrough();

/** One plan of the site's power manager: what it was given, what it decided and why. */
export const planRecordSchema = z.object({
  seq: z.number().int().nonnegative(),
  atMs: ms,
  reason: z.string().max(2_000),
  status: z.enum(["applying", "applied", "aborted"]),
  faulted: z.array(id).max(512),
  inputs: z.object({ root: limitNodeSchema, stalls: z.array(planStallInputSchema).max(512) }).passthrough(),
  plan: z.object({
    setpoints: z.array(planSetpointSchema).max(512),
    nodes: z.array(planNodeSchema).max(1_024),
    totalW: watts,
  }),
});
export type PlanRecordContract = z.infer<typeof planRecordSchema>;

/** GET /api/power/plan */
export const powerPlanResponseSchema = z.object({ plan: planRecordSchema.nullable() });
export type PowerPlanResponse = z.infer<typeof powerPlanResponseSchema>;

/** A session as the site's journal holds it (the day journal's own schema). */
export const sessionEntrySchema = journalEntrySchema;
export type SessionEntryContract = z.infer<typeof sessionEntrySchema>;

/** GET /api/sessions?limit=N (technicians) */
export const sessionsResponseSchema = z.object({ sessions: z.array(sessionEntrySchema).max(500) });
export type SessionsResponse = z.infer<typeof sessionsResponseSchema>;
export const sessionsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/)
  .max(1_000_000);

/**
 * The signed records of one session's slice of its meter chain (begin to end, contiguous), with the
 * meter's certificates and the operator keys that certify them: enough for a browser to verify the
 * signatures, hash links, registers and energy itself (shared-model's verifier).
 */
export const sessionLedgerSchema = z.object({
  meterId: id,
  fromSeq: z.number().int().nonnegative(),
  toSeq: z.number().int().nonnegative(),
  records: z.array(base64).max(5_000),
  certificates: z.array(base64).max(64),
  operatorKeys: z.array(z.tuple([id, base64])).max(64),
  /** True when the slice was cut at the API's bound (the rest is not shown). */
  truncated: z.boolean(),
});
export type SessionLedger = z.infer<typeof sessionLedgerSchema>;

/** GET /api/sessions/:sessionId (that session's token or a technician) */
export const sessionDetailResponseSchema = z.object({
  session: sessionEntrySchema,
  ledger: sessionLedgerSchema.nullable().optional(),
});
export type SessionDetailResponse = z.infer<typeof sessionDetailResponseSchema>;

export const alarmKinds = [
  "meter_fault",
  "stall_fault",
  "equivocation",
  "damaged_document",
  "stale_revocation_list",
  "cloud_unreachable",
  "payment_standing_refusal",
] as const;
export const alarmKindSchema = z.enum(alarmKinds);
export type AlarmKind = z.infer<typeof alarmKindSchema>;

/** One condition a technician must see, with what to do about it. */
export const alarmSchema = z.object({
  /** Stable while the condition lasts (kind + subject). */
  id: z.string().min(1).max(256),
  kind: alarmKindSchema,
  severity: z.enum(["critical", "warning"]),
  /** Since when the condition holds (site clock), null when unknown. */
  sinceMs: ms.nullable(),
  title: z.string().max(200),
  detail: z.string().max(2_000),
  /** What the technician should do. */
  action: z.string().max(1_000),
  stallId: id.nullable(),
});
export type Alarm = z.infer<typeof alarmSchema>;

/** GET /api/alarms */
export const alarmsResponseSchema = z.object({ alarms: z.array(alarmSchema).max(1_024) });
export type AlarmsResponse = z.infer<typeof alarmsResponseSchema>;

/** GET /api/sync */
export const syncStateSchema = z.object({
  /** False when the site runs without any cloud peer configured. */
  enabled: z.boolean(),
  peers: z
    .array(
      z.object({
        peerId: z.string().max(128),
        address: z.string().max(256).nullable(),
        connected: z.boolean(),
      }),
    )
    .max(64),
  /** The last time a cloud peer was connected (site clock), null when never. */
  lastContactMs: ms.nullable(),
  /** Since when no cloud peer is connected, null while one is. */
  unreachableSinceMs: ms.nullable(),
  /** Documents the site holds (its root, journals, ledger segments). */
  documents: z.number().int().nonnegative(),
  /** Documents whose latest changes no cloud peer has acknowledged yet; null when not known. */
  documentsPending: z.number().int().nonnegative().nullable(),
});
export type SyncState = z.infer<typeof syncStateSchema>;

/** GET /api/diagnostics (technicians) */
export const diagnosticsResponseSchema = z.object({
  stalls: z
    .array(
      z.object({
        stallId: id,
        meterId: id,
        stage: z.object({
          state: z.string().max(64),
          appliedLimitW: watts,
          requestedLimitW: watts,
          measuredW: watts,
          maxW: watts,
          minW: watts,
          /** The stage's configured reaction delay, ms. */
          reactionDelayMs: z.number().int().nonnegative(),
        }),
        meterFault: z.string().max(500).nullable(),
        registerWh: wh,
      }),
    )
    .max(512),
  /** Serial ports of Modbus meters; empty when every meter is simulated. */
  serialPorts: z.array(z.object({ path: z.string().max(256), meters: z.array(id).max(247) })).max(64),
  /** Hardware that is simulated, named so. */
  simulated: z.array(z.string().max(128)).max(64),
  /** OCPP 2.0.1 chargers connected to the site; empty until the site has an OCPP server. */
  ocppChargers: z.array(z.object({ chargerId: id, connected: z.boolean() })).max(512),
});
export type DiagnosticsResponse = z.infer<typeof diagnosticsResponseSchema>;

/** GET /api/technician: who the credential in the Authorization header belongs to. */
export const technicianResponseSchema = z.object({ technicianId: id });
export type TechnicianResponse = z.infer<typeof technicianResponseSchema>;

/** POST /api/stalls/:stallId/stop (technicians) */
export const stopRequestSchema = z.object({ note: note.optional() }).strict();
export type StopRequest = z.infer<typeof stopRequestSchema>;
export const stopResponseSchema = z.object({ accepted: z.literal(true), sessionId: id.nullable() });
export type StopResponse = z.infer<typeof stopResponseSchema>;

/** POST /api/stalls/:stallId/out-of-service (technicians) */
export const outOfServiceRequestSchema = z
  .object({ outOfService: z.boolean(), note: note.optional() })
  .strict();
export type OutOfServiceRequest = z.infer<typeof outOfServiceRequestSchema>;
/**
 * What an OCPP charger answered a technician's remote command (ChangeAvailability, Reset): its own
 * status (`Accepted`, `Scheduled`: done once its running transaction ends, `Rejected`), or
 * `not_connected` (an availability change is then sent at its next connection), or `failed` (an
 * error or no answer in time; `message` says which).
 */
export const chargerAnswerSchema = z.object({
  chargerId: id,
  /** The EVSE the command was for; null: the whole charger. */
  evseId: z.number().int().nonnegative().nullable(),
  status: z.enum(["Accepted", "Scheduled", "Rejected", "not_connected", "failed"]),
  message: z.string().max(500).optional(),
});
export type ChargerAnswer = z.infer<typeof chargerAnswerSchema>;

export const outOfServiceResponseSchema = z.object({
  stallId: id,
  outOfService: z.boolean(),
  /** The answer of the stall's OCPP charger to ChangeAvailability; null or absent: a simulated stall. */
  charger: chargerAnswerSchema.nullable().optional(),
});
export type OutOfServiceResponse = z.infer<typeof outOfServiceResponseSchema>;

/** POST /api/stalls/:stallId/restart-charger (technicians): OCPP Reset of the stall's charger. */
export const restartChargerRequestSchema = z
  .object({ type: z.enum(["OnIdle", "Immediate"]), note: note.optional() })
  .strict();
export type RestartChargerRequest = z.infer<typeof restartChargerRequestSchema>;
export const restartChargerResponseSchema = z.object({
  stallId: id,
  type: z.enum(["OnIdle", "Immediate"]),
  charger: chargerAnswerSchema,
});
export type RestartChargerResponse = z.infer<typeof restartChargerResponseSchema>;

/** GET /api/stall-chargers (technicians): the stalls driven by an OCPP charger, and its state. */
export const stallChargersResponseSchema = z.object({
  stalls: z
    .array(
      z.object({
        stallId: id,
        chargerId: id,
        evseId: z.number().int().nonnegative(),
        connected: z.boolean(),
        /** The availability the site wants the EVSE in (false: Inoperative, out of service). */
        operative: z.boolean(),
        /** The charger has not yet accepted that availability (it was away or refused). */
        availabilityPending: z.boolean(),
      }),
    )
    .max(512),
});
export type StallChargersResponse = z.infer<typeof stallChargersResponseSchema>;

/** POST /api/site/limit (technicians): a new site limit within `siteLimitBounds`. */
export const siteLimitRequestSchema = z.object({ limitW: watts, note: note.optional() }).strict();
export type SiteLimitRequest = z.infer<typeof siteLimitRequestSchema>;
export const siteLimitResponseSchema = z.object({ limitW: watts, previousW: watts });
export type SiteLimitResponse = z.infer<typeof siteLimitResponseSchema>;

/** GET /healthz */
export const healthResponseSchema = z.object({ ok: z.literal(true), siteId: id });

/** The path of each local API endpoint (one place for client and server). */
export const localApiPaths = {
  health: "/healthz",
  metrics: "/metrics",
  site: "/api/site",
  plan: "/api/power/plan",
  sessions: "/api/sessions",
  session: (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}`,
  alarms: "/api/alarms",
  sync: "/api/sync",
  diagnostics: "/api/diagnostics",
  technician: "/api/technician",
  stop: (stallId: string) => `/api/stalls/${encodeURIComponent(stallId)}/stop`,
  outOfService: (stallId: string) => `/api/stalls/${encodeURIComponent(stallId)}/out-of-service`,
  restartCharger: (stallId: string) => `/api/stalls/${encodeURIComponent(stallId)}/restart-charger`,
  stallChargers: "/api/stall-chargers",
  siteLimit: "/api/site/limit",
  live: "/live",
} as const;
