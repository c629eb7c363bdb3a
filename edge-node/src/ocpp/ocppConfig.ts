import { readFileSync } from "node:fs";
import { z } from "zod";
import { ChargemeshError } from "@chargemesh/shared-model";

const evseSchema = z.object({
  evseId: z.number().int().min(1),
  /** The site stall (in `stalls`) this EVSE is. */
  stall: z.string().min(1),
  /** How long the charger takes to apply a charging profile, ms. */
  reactionDelayMs: z.number().int().nonnegative().default(1_000),
  /** The certified meter's P-256 public key (hex, SEC1) when the charger signs its readings (OCMF). */
  ocmfPublicKeyHex: z
    .string()
    .regex(/^(04[0-9a-fA-F]{128}|0[23][0-9a-fA-F]{64})$/)
    .optional(),
});

const stationSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._\-:*+|@]{1,48}$/, "an OCPP identity of at most 48 characters"),
  /** SHA-256 (hex) of the station's Basic-auth password (profiles 1 and 2). */
  passwordSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The ChargingStationMaxProfile installed at every accepted boot, W (default: the sum of its stalls' maxW). */
  maxW: z.number().int().positive().optional(),
  evses: z.array(evseSchema).min(1),
});

export const ocppSectionSchema = z
  .object({
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8443),
    /** 2: TLS + Basic auth; 3: mutual TLS; 1 (no TLS) only with `lab: true`. */
    securityProfile: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
    lab: z.boolean().default(false),
    tls: z.object({ keyFile: z.string(), certFile: z.string(), caFile: z.string().optional() }).optional(),
    heartbeatIntervalS: z.number().int().min(10).max(86_400).default(300),
    stations: z.array(stationSchema).min(1),
  })
  .superRefine((c, ctx) => {
    if (c.securityProfile === 1 && !c.lab)
      ctx.addIssue({
        code: "custom",
        path: ["securityProfile"],
        message: "profile 1 (no TLS) only when lab is true",
      });
    if (c.securityProfile !== 1 && !c.tls)
      ctx.addIssue({
        code: "custom",
        path: ["tls"],
        message: `profile ${c.securityProfile} needs tls.keyFile and tls.certFile`,
      });
    if (c.securityProfile === 3 && !c.tls?.caFile)
      ctx.addIssue({
        code: "custom",
        path: ["tls", "caFile"],
        message: "profile 3 needs the CA that issues station certificates",
      });
    if (c.securityProfile !== 3)
      for (const [i, s] of c.stations.entries())
        if (!s.passwordSha256)
          ctx.addIssue({
            code: "custom",
            path: ["stations", i, "passwordSha256"],
            message: "Basic auth needs the password's SHA-256",
          });
    const ids = new Set<string>();
    const stalls = new Set<string>();
    for (const s of c.stations) {
      if (ids.has(s.id))
        ctx.addIssue({ code: "custom", path: ["stations"], message: `duplicate station ${s.id}` });
      ids.add(s.id);
      for (const e of s.evses) {
        if (stalls.has(e.stall))
          ctx.addIssue({
            code: "custom",
            path: ["stations"],
            message: `stall ${e.stall} is bound to two EVSEs`,
          });
        stalls.add(e.stall);
      }
    }
  });

export type OcppSection = z.infer<typeof ocppSectionSchema>;

/** The `ocpp` section of a site config file, or null when it has none; file paths are relative to the working directory, like the rest of the config. Throws ChargemeshError("invalid_input" | "malformed_json"). */
export function loadOcppSection(configPath: string): OcppSection | null {
  let raw: { ocpp?: unknown };
  try {
    raw = JSON.parse(readFileSync(configPath, "utf8")) as { ocpp?: unknown };
  } catch (e) {
    throw new ChargemeshError(
      "malformed_json",
      `cannot read site config ${configPath}: ${(e as Error).message}`,
    );
  }
  if (raw.ocpp === undefined) return null;
  const parsed = ocppSectionSchema.safeParse(raw.ocpp);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `ocpp.${i.path.join(".")}: ${i.message}`);
    throw new ChargemeshError("invalid_input", `invalid ocpp section: ${issues.join("; ")}`, { issues });
  }
  return parsed.data;
}
