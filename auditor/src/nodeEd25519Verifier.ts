import { createPublicKey, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { Ed25519 } from "@chargemesh/shared-model";
import { checkSignatureShape } from "@chargemesh/shared-model";

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map<string, KeyObject>();

function keyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString("hex");
  let k = keys.get(id);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
    if (keys.size >= 10_000) keys.clear();
    keys.set(id, k);
  }
  return k;
}

/**
 * Ed25519 verification on node:crypto under chargemesh's strict rule (docs/ed25519-verification.md):
 * the shared pre-check (lengths, S < L, the key's encoding and subgroup), then OpenSSL's equation
 * check, which also rejects a non-canonical or torsioned R. Never throws.
 */
export const nodeEd25519Verifier: Pick<Ed25519, "verify"> = {
  verify(signature, message, publicKey) {
    if (checkSignatureShape(signature, publicKey) !== null) return false;
    try {
      return verify(null, message, keyObject(publicKey), signature);
    } catch {
      return false;
    }
  },
};
