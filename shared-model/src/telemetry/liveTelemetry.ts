import { z } from "zod";
import { ChargemeshError } from "../errors.js";
import type { Result } from "../errors.js";

/**
 * Live telemetry: what a site broadcasts every 1-5 s as an automerge-repo ephemeral message on its
 * root document (never stored, no delivery guarantee). Versioned by `type` + `v`; integers only
 * (W, Wh, ms). `seq` counts the site's messages so a receiver can drop stale ones and see gaps.
 */
export const LIVE_TELEMETRY_TYPE = "chargemesh.live-telemetry";
export const LIVE_TELEMETRY_VERSION = 1;
/** More stalls than any site has: bounds what one peer message can make a receiver hold. */
export const LIVE_TELEMETRY_MAX_STALLS = 512;

export const liveStallPhases = [
  "available",
  "authorizing",
  "charging",
  "stopping",
  "out_of_service",
] as const;
export type LiveStallPhase = (typeof liveStallPhases)[number];

const count = z.number().int().nonnegative().lte(Number.MAX_SAFE_INTEGER);
const id = z.string().min(1).max(128);

export const liveStallFiguresSchema = z
  .object({
    stallId: id,
    phase: z.enum(liveStallPhases),
    sessionId: id.nullable(),
    powerW: count,
    sessionEnergyWh: count,
    grantedW: count,
    /** The car's state of charge and its target, per mille, while a car reports them (absent from older sites). */
    socPermille: z.number().int().min(0).max(1000).nullable().optional(),
    targetPermille: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .strict();
export type LiveStallFigures = z.infer<typeof liveStallFiguresSchema>;

export const liveTelemetrySchema = z
  .object({
    type: z.literal(LIVE_TELEMETRY_TYPE),
    v: z.literal(LIVE_TELEMETRY_VERSION),
    siteId: id,
    seq: count,
    siteTimeMs: count,
    stalls: z.array(liveStallFiguresSchema).max(LIVE_TELEMETRY_MAX_STALLS),
  })
  .strict();
export type LiveTelemetry = z.infer<typeof liveTelemetrySchema>;

/** Builds a message from the site's figures. Pure; the result always passes `parseLiveTelemetry` when the figures are integers. */
export function liveTelemetryMessage(
  siteId: string,
  seq: number,
  siteTimeMs: number,
  stalls: readonly LiveStallFigures[],
): LiveTelemetry {
  return {
    type: LIVE_TELEMETRY_TYPE,
    v: LIVE_TELEMETRY_VERSION,
    siteId,
    seq,
    siteTimeMs,
    stalls: stalls.map((s) => ({ ...s })),
  };
}

/**
 * Checks a message that arrived from a peer. Never throws: anything that is not a version-1 live
 * telemetry message with integer figures is an `invalid_input` error value naming the first problems.
 */
export function parseLiveTelemetry(input: unknown): Result<LiveTelemetry> {
  const r = liveTelemetrySchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`);
  return {
    ok: false,
    error: new ChargemeshError("invalid_input", `not a live telemetry message: ${problems.join("; ")}`, {
      issues: r.error.issues.length,
    }),
  };
}
