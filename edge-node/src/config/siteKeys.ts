import { existsSync, readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { ChargemeshError } from "@chargemesh/shared-model";

/** The site daemon's keys from the operator's PKI (`chargemesh-pki site-keys`); never derived from a seed in code. */
export interface SiteKeys {
  readonly siteId: string;
  /** The operator key that certifies this site's meter keys. */
  readonly meterOperatorKeyId: string;
  readonly meterOperatorSeed: Uint8Array;
  /** The Ed25519 public key revocation lists must be signed with. */
  readonly revocationPublicKey: Uint8Array;
}

const hex = (n: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `${n / 2} bytes of lowercase hex`);
const fileSchema = z.object({
  format: z.literal("chargemesh-site-keys"),
  version: z.literal(1),
  siteId: z.string().min(1),
  meterOperator: z.object({ keyId: z.string().min(1).max(64), seed: hex(64) }),
  revocationPublicKey: hex(64),
});

/** The command that writes a site's keys file, for messages. */
export const SITE_KEYS_COMMAND = (siteId: string, path: string) =>
  `npm run chargemesh-pki -- site-keys --dir <pki dir> --site ${siteId} --out ${path}`;

/**
 * Reads the site's keys file. Throws ChargemeshError("missing_keys") when it is absent, naming the
 * command that creates it; ("invalid_input") when it is readable by group or others (it must be
 * 0600), does not parse, or names another site.
 */
export function loadSiteKeys(path: string, siteId: string): SiteKeys {
  if (!existsSync(path))
    throw new ChargemeshError(
      "missing_keys",
      `no site keys file at ${path}: create it with\n  ${SITE_KEYS_COMMAND(siteId, path)}`,
    );
  if ((statSync(path).mode & 0o077) !== 0)
    throw new ChargemeshError(
      "invalid_input",
      `site keys file ${path} is readable by others: chmod 600 ${path}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ChargemeshError("invalid_input", `site keys file ${path} is not JSON: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new ChargemeshError(
      "invalid_input",
      `site keys file ${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  const f = parsed.data;
  if (f.siteId !== siteId)
    throw new ChargemeshError(
      "invalid_input",
      `site keys file ${path} is for site ${f.siteId}, not ${siteId}`,
    );
  const bytes = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
  return {
    siteId: f.siteId,
    meterOperatorKeyId: f.meterOperator.keyId,
    meterOperatorSeed: bytes(f.meterOperator.seed),
    revocationPublicKey: bytes(f.revocationPublicKey),
  };
}
