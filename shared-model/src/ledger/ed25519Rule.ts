import { Point } from "@noble/ed25519";

/**
 * chargemesh's Ed25519 verification rule ("strict cofactorless", docs/ed25519-verification.md).
 * A signature (R, S) by public key A on message M is valid iff
 *   1. the signature is 64 bytes and the key 32 bytes;
 *   2. S < L (canonical scalar);
 *   3. A is a canonical encoding (y < p, no "negative zero"), torsion-free and not of small order;
 *   4. R is a canonical encoding and torsion-free;
 *   5. [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
 * With A and R in the prime-order subgroup the cofactored and cofactorless equations agree, so every
 * implementation (OpenSSL's cofactorless check, noble's cofactored one) accepts exactly the same set.
 */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

export type Ed25519RuleViolation =
  "bad_length" | "non_canonical_s" | "bad_public_key" | "small_order_public_key" | "bad_r";

const keyVerdicts = new Map<string, Ed25519RuleViolation | null>();
const MAX_CACHED_KEYS = 10_000;

function leScalar(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function hexOf(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Checks rule 3 for a public key (cached per key: meters reuse theirs). Never throws. */
export function checkPublicKey(publicKey: Uint8Array): Ed25519RuleViolation | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return "bad_length";
  const id = hexOf(publicKey);
  const cached = keyVerdicts.get(id);
  if (cached !== undefined) return cached;
  let verdict: Ed25519RuleViolation | null;
  try {
    const A = Point.fromBytes(publicKey, false);
    verdict = A.isSmallOrder() ? "small_order_public_key" : A.isTorsionFree() ? null : "bad_public_key";
  } catch {
    verdict = "bad_public_key";
  }
  if (keyVerdicts.size >= MAX_CACHED_KEYS) keyVerdicts.clear();
  keyVerdicts.set(id, verdict);
  return verdict;
}

/** Checks rules 1-3 (cheap: S range and the cached key check). */
export function checkSignatureShape(
  signature: Uint8Array,
  publicKey: Uint8Array,
): Ed25519RuleViolation | null {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return "bad_length";
  if (leScalar(signature.subarray(32)) >= ED25519_L) return "non_canonical_s";
  return checkPublicKey(publicKey);
}

/** Checks rule 4 for R (a scalar multiplication: implementations with a cofactored equation need it). */
export function checkR(signature: Uint8Array): Ed25519RuleViolation | null {
  try {
    const R = Point.fromBytes(signature.subarray(0, 32), false);
    return R.isTorsionFree() ? null : "bad_r";
  } catch {
    return "bad_r";
  }
}
