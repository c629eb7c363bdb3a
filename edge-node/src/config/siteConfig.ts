import { readFileSync } from "node:fs";
import { z } from "zod";
import { ChargemeshError, meterId, siteId, stallId, technicianId } from "@chargemesh/shared-model";
import type { MeterId, SiteId, StallId, TechnicianId } from "@chargemesh/shared-model";

const meterBinding = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("sim") }),
  z.object({
    kind: z.literal("sdm630"),
    path: z.string().min(1),
    unitId: z.number().int().min(1).max(247).default(1),
    baudRate: z.number().int().positive().default(9600),
  }),
]);

/** A power stage or vehicle link with no real driver yet is named so: `{"kind": "simulated"}` (logged at start). */
const simulatedBinding = z.object({ kind: z.literal("simulated") });

const stallSchema = z.object({
  id: z.string(),
  meterId: z.string(),
  maxW: z.number().int().positive(),
  minW: z.number().int().nonnegative().default(0),
  /** The limit the stall falls back to on its own when it loses contact with the controller. */
  safeLimitW: z.number().int().nonnegative().default(0),
  meter: meterBinding.default({ kind: "sim" }),
  stage: simulatedBinding.default({ kind: "simulated" }),
  vehicleLink: simulatedBinding.default({ kind: "simulated" }),
});

const keysSchema = z.object({
  /** The site's keys from the operator's PKI (`chargemesh-pki site-keys`), a 0600 file; the daemon refuses to start without it. */
  siteKeysFile: z.string().min(1),
  /** The software secure element's key file (0600) holding meter signing and session-token keys; default `<dataDir>/secure-element.json`. */
  secureElementFile: z.string().min(1).optional(),
});

const offlinePolicySchema = z.object({
  /** After this long without cloud contact the site is "offline" for authorization purposes. */
  offlineAfterMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  unknownContractMaxEnergyWh: z.number().int().nonnegative().default(30_000),
  unknownContractMaxSessionsPerDay: z.number().int().nonnegative().default(2),
  regionFailedMaxEnergyWh: z.number().int().nonnegative().default(60_000),
});

const syncSchema = z.object({
  /** Cloud peers in preference order, home region first: multiaddrs ending in /p2p/<peer ID>. */
  cloudPeers: z
    .array(z.string().regex(/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/, "a multiaddr ending in /p2p/<peer ID>"))
    .min(1),
  /** The site's libp2p identity (created on first start); default `<dataDir>/peer-key`. */
  identityFile: z.string().optional(),
  /** The config document the cloud addressed to this site (from provisioning). */
  configUrl: z
    .string()
    .regex(/^automerge:/, "an automerge: URL")
    .optional(),
  /** Live telemetry interval, 1-5 s. */
  liveIntervalMs: z.number().int().min(1_000).max(5_000).default(5_000),
});

const fileSchema = z.object({
  siteId: z.string(),
  dataDir: z.string().default(".data/site"),
  gridLimitW: z.number().int().positive(),
  /** Every 30-60 s a checkpoint record bounds what a crash can lose. */
  checkpointIntervalMs: z.number().int().min(30_000).max(60_000).default(60_000),
  tickIntervalMs: z.number().int().min(100).max(5_000).default(1_000),
  api: z
    .object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(0) })
    .default({}),
  stalls: z.array(stallSchema).min(1),
  technicians: z
    .array(z.object({ id: z.string(), tokenSha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .default([]),
  offlinePolicy: offlinePolicySchema.default({}),
  /** Sync with cloud peers; absent, the site runs on its own. */
  sync: syncSchema.optional(),
  /** Where the daemon's keys are (required by the daemon; simulations provision their own). */
  keys: keysSchema.optional(),
});

export interface StallConfig {
  readonly id: StallId;
  readonly meterId: MeterId;
  readonly maxW: number;
  readonly minW: number;
  readonly safeLimitW: number;
  readonly meter: z.infer<typeof meterBinding>;
  readonly stage: z.infer<typeof simulatedBinding>;
  readonly vehicleLink: z.infer<typeof simulatedBinding>;
}

export interface SiteConfig {
  readonly siteId: SiteId;
  readonly dataDir: string;
  readonly gridLimitW: number;
  readonly checkpointIntervalMs: number;
  readonly tickIntervalMs: number;
  readonly api: { readonly host: string; readonly port: number };
  readonly stalls: readonly StallConfig[];
  readonly technicians: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[];
  readonly offlinePolicy: z.infer<typeof offlinePolicySchema>;
  readonly sync?: z.infer<typeof syncSchema>;
  readonly keys?: z.infer<typeof keysSchema>;
}

/** Validates a parsed config object; throws ChargemeshError("invalid_input") naming every bad field. */
export function parseSiteConfig(input: unknown): SiteConfig {
  const parsed = fileSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ChargemeshError("invalid_input", `invalid site config: ${issues.join("; ")}`, { issues });
  }
  const c = parsed.data;
  const ids = new Set<string>();
  for (const s of c.stalls) {
    if (ids.has(s.id)) throw new ChargemeshError("invalid_input", `duplicate stall id ${s.id}`);
    ids.add(s.id);
    if (s.minW > s.maxW) throw new ChargemeshError("invalid_input", `stall ${s.id}: minW > maxW`);
  }
  return {
    ...c,
    siteId: siteId(c.siteId),
    stalls: c.stalls.map((s) => ({ ...s, id: stallId(s.id), meterId: meterId(s.meterId) })),
    technicians: c.technicians.map((t) => ({ id: technicianId(t.id), tokenSha256: t.tokenSha256 })),
  };
}

/** Reads and validates a JSON config file; throws ChargemeshError("malformed_json" | "invalid_input"). */
export function loadSiteConfig(path: string): SiteConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ChargemeshError("malformed_json", `cannot read site config ${path}: ${(e as Error).message}`);
  }
  return parseSiteConfig(raw);
}
