import { z } from "zod";
import { liveFeedProtocols } from "./liveFeed.js";

/**
 * The driver live feed: the WebSocket the phone and the car's dashboard read from the cloud gateway
 * (`/api/live`). A client authenticates in the handshake, never in the URL: it offers the subprotocols
 * `DRIVER_FEED_PROTOCOL` and `bearer.<base64url(token)>` (a site-signed session token for the car, an account
 * token for the phone). Each session's frames carry a gapless `seq` (per session, from 1); a client
 * that reconnects sends `resume` with the last seq it showed per session and receives exactly the
 * frames after it, or a `reset` with the latest figures when the gateway no longer holds them.
 * Integers only (W, Wh, minor units, ms). Browser-safe: imports nothing but zod.
 */
export const DRIVER_FEED_PROTOCOL = "chargemesh.driver.v1";
/** WebSocket close codes the gateway uses (4000-4999 is the application range). */
export const driverFeedCloseCodes = {
  unauthorized: 4401,
  tooSlow: 4408,
  badMessage: 4400,
  expired: 4403,
} as const;
/** Sessions one resume message may name; more than any account has open. */
export const DRIVER_FEED_MAX_RESUME = 64;

const count = z.number().int().nonnegative().lte(Number.MAX_SAFE_INTEGER);
const id = z.string().min(1).max(128);

export const feedPhases = ["authorizing", "charging", "stopping", "ended"] as const;
export type FeedPhase = (typeof feedPhases)[number];

/** The figures of one session at one instant. */
export const sessionFiguresSchema = z.object({
  sessionId: id,
  siteId: id,
  stallId: id,
  phase: z.enum(feedPhases),
  powerW: count,
  energyWh: count,
  /** Cost so far at the tariff that applied at session start; null when the site publishes no tariff. */
  costMinor: count.nullable(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullable(),
  /** State of charge in per mille and the minutes to the car's target; null when the site does not report them. */
  socPermille: z.number().int().min(0).max(1000).nullable(),
  minutesToTarget: count.nullable(),
  /** When the site measured these figures (site clock). */
  siteTimeMs: count,
});
export type SessionFigures = z.infer<typeof sessionFiguresSchema>;

export const feedFrameSchema = z.object({
  type: z.literal("frame"),
  seq: z.number().int().positive(),
  figures: sessionFiguresSchema,
});
export type FeedFrame = z.infer<typeof feedFrameSchema>;

export const feedHelloSchema = z.object({
  type: z.literal("hello"),
  /** Who the gateway took the client for. */
  subject: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("session"), sessionId: id }),
    z.object({ kind: z.literal("account"), accountId: id }),
  ]),
  /** Where these figures come from: the cloud gateway or the site's own controller. */
  source: z.enum(["cloud", "site"]),
  /** The latest frame of each session the client may see and the gateway holds. */
  sessions: z.array(feedFrameSchema).max(DRIVER_FEED_MAX_RESUME),
  atMs: count,
});
export type FeedHello = z.infer<typeof feedHelloSchema>;

/** The gateway no longer holds the frames after the client's seq: here is the latest; show it in place of the old view. */
export const feedResetSchema = z.object({ type: z.literal("reset"), frame: feedFrameSchema });
export type FeedReset = z.infer<typeof feedResetSchema>;

export const feedNoticeSchema = z.object({
  type: z.literal("notice"),
  kind: z.enum(["charging_ended", "receipt_ready", "payment_declined"]),
  sessionId: id,
  message: z.string().max(500),
  atMs: count,
});
export type FeedNotice = z.infer<typeof feedNoticeSchema>;

export const feedErrorSchema = z.object({
  type: z.literal("error"),
  code: z.enum(["bad_message", "too_many_sessions"]),
  message: z.string().max(500),
});

export const feedServerMessageSchema = z.discriminatedUnion("type", [
  feedHelloSchema,
  feedFrameSchema,
  feedResetSchema,
  feedNoticeSchema,
  feedErrorSchema,
]);
export type FeedServerMessage = z.infer<typeof feedServerMessageSchema>;

/** The one message a client sends: the last seq it showed per session (after a reconnect). */
export const feedResumeSchema = z
  .object({
    type: z.literal("resume"),
    positions: z.array(z.object({ sessionId: id, seq: count }).strict()).max(DRIVER_FEED_MAX_RESUME),
  })
  .strict();
export type FeedResume = z.infer<typeof feedResumeSchema>;

/** Parses a client's message text; never throws (null for anything but a valid resume). */
export function parseFeedResume(text: string): FeedResume | null {
  if (text.length > 16_384) return null;
  try {
    const r = feedResumeSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Parses a gateway message text; never throws (null for anything unknown). */
export function parseFeedServerMessage(text: string): FeedServerMessage | null {
  try {
    const r = feedServerMessageSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * The subprotocol list a browser passes to `new WebSocket(url, protocols)` to present `token`: the
 * credential entry is encoded as the site's live feed encodes it (`credentialFromProtocols` reads both).
 */
export function driverFeedProtocols(token: string): string[] {
  return [DRIVER_FEED_PROTOCOL, ...liveFeedProtocols(token).slice(1)];
}
