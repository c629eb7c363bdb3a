import { createHash, timingSafeEqual } from "node:crypto";
import type { TechnicianId } from "@chargemesh/shared-model";

/** Resolves a bearer credential to the technician it belongs to, or null. Constant-time per entry. */
export function technicianFromToken(
  token: string | null,
  technicians: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[],
): TechnicianId | null {
  if (!token) return null;
  const digest = createHash("sha256").update(token, "utf8").digest();
  let found: TechnicianId | null = null;
  for (const t of technicians) {
    const expected = Buffer.from(t.tokenSha256, "hex");
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) found = t.id;
  }
  return found;
}

/** SHA-256 hex of a technician credential, as stored in the site config. */
export function technicianTokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
