/**
 * The typed messages of a site's live feed (WebSocket `/live` of the local API). Server to client
 * only; a client sends nothing but pings. Integers only (W, Wh, ms).
 *
 * Credentials travel in headers only: a client that can set headers sends `Authorization: Bearer`;
 * a browser (which cannot) offers the subprotocols from `liveFeedProtocols(token)`, whose second
 * entry carries the credential base64url-encoded in the `Sec-WebSocket-Protocol` header.
 */
import { z } from "zod";
import { planRecordSchema, sessionEntrySchema, stallViewSchema } from "./localApi.js";

const id = z.string().min(1).max(128);
const count = z.number().int().nonnegative();

/** The subprotocol every live-feed client offers and the server selects. */
export const LIVE_FEED_PROTOCOL = "chargemesh.live.v1";
const CREDENTIAL_PREFIX = "bearer.";

export const liveHelloSchema = z.object({
  type: z.literal("hello"),
  siteId: id,
  stalls: z.array(stallViewSchema).max(512),
});
/** A stall's measured power; `sessionId`, `registerWh`, `sessionEnergyWh` and `socPermille` only for its session or a technician. */
export const liveTelemetryFrameSchema = z.object({
  type: z.literal("telemetry"),
  atMs: z.number().int(),
  stallId: id,
  powerW: count,
  sessionId: id.nullable().optional(),
  registerWh: count.optional(),
  sessionEnergyWh: count.optional(),
  socPermille: z.number().int().min(0).max(1000).nullable().optional(),
});
export const liveSessionSchema = z.object({ type: z.literal("session"), session: sessionEntrySchema });
export const liveStallSchema = z.object({ type: z.literal("stall"), stall: stallViewSchema });
export const livePlanSchema = z.object({ type: z.literal("plan"), plan: planRecordSchema });

export const liveFeedMessageSchema = z.discriminatedUnion("type", [
  liveHelloSchema,
  liveTelemetryFrameSchema,
  liveSessionSchema,
  liveStallSchema,
  livePlanSchema,
]);
export type LiveFeedMessage = z.infer<typeof liveFeedMessageSchema>;
export type LiveTelemetryFrame = z.infer<typeof liveTelemetryFrameSchema>;

/** Parses one frame's text; null for anything that is not a known live-feed message. Never throws. */
export function parseLiveFeedMessage(text: string): LiveFeedMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const r = liveFeedMessageSchema.safeParse(value);
  return r.success ? r.data : null;
}

const toBase64Url = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** The subprotocols a browser offers: the feed's, and its credential when it has one. */
export function liveFeedProtocols(token: string | null): string[] {
  return token ? [LIVE_FEED_PROTOCOL, CREDENTIAL_PREFIX + toBase64Url(token)] : [LIVE_FEED_PROTOCOL];
}

/** The credential a `Sec-WebSocket-Protocol` header carries, or null (none, or not decodable). Never throws. */
export function credentialFromProtocols(header: string | undefined): string | null {
  if (!header || header.length > 4_096) return null;
  const entry = header
    .split(",")
    .map((p) => p.trim())
    .find((p) => p.startsWith(CREDENTIAL_PREFIX));
  if (!entry) return null;
  const b64 = entry.slice(CREDENTIAL_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(b64)) return null;
  try {
    const bin = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
