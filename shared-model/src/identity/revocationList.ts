import { Encoder } from "cbor-x";
import { sha256 } from "@noble/hashes/sha2.js";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { Ed25519 } from "../ledger/ed25519.js";

/**
 * A signed revocation list: the SHA-256 fingerprints of revoked certificates (any level of a chain),
 * when it was issued and when the next one is due, signed by the PKI's Ed25519 revocation key.
 * Fingerprints name a certificate without ambiguity (serial numbers need their issuer).
 */
export interface RevocationList {
  readonly issuedAtMs: number;
  readonly nextUpdateMs: number;
  readonly revoked: ReadonlySet<string>;
}

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false });
const big = (n: number): number | bigint => (n >= 2 ** 32 ? BigInt(n) : n);
const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : NaN);

/** Hex SHA-256 of a DER certificate. */
export function certificateFingerprint(der: Uint8Array): string {
  return Array.from(sha256(der), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A validity that can be trusted: whole milliseconds, issued before its next update. */
const validWindow = (issuedAtMs: number, nextUpdateMs: number) =>
  Number.isSafeInteger(issuedAtMs) &&
  Number.isSafeInteger(nextUpdateMs) &&
  issuedAtMs >= 0 &&
  nextUpdateMs > issuedAtMs;

/** Signs a list with the revocation key (32-byte seed); throws ChargemeshError("invalid_input") for a validity that is not whole ms with nextUpdate after issuedAt. */
export function signRevocationList(list: RevocationList, seed: Uint8Array, ed: Ed25519): Uint8Array {
  if (!validWindow(list.issuedAtMs, list.nextUpdateMs))
    throw new ChargemeshError(
      "invalid_input",
      `revocation list validity must be whole ms with nextUpdate after issuedAt, got ${list.issuedAtMs}..${list.nextUpdateMs}`,
    );
  const body = new Uint8Array(
    codec.encode([1, big(list.issuedAtMs), big(list.nextUpdateMs), [...list.revoked].sort()]),
  );
  return new Uint8Array(codec.encode([body, ed.sign(body, seed)]));
}

/** Verifies and decodes a signed list; never throws. A list whose validity is missing or invalid (NaN, fractional, next update not after issue) is refused: a site must never take it for fresh. */
export function verifyRevocationList(
  signed: Uint8Array,
  revocationKey: Uint8Array,
  ed: Ed25519,
): Result<RevocationList> {
  try {
    const outer = codec.decode(signed) as unknown;
    if (!Array.isArray(outer) || !(outer[0] instanceof Uint8Array) || !(outer[1] instanceof Uint8Array))
      throw new Error("expected [body, signature]");
    if (!ed.verify(outer[1], outer[0], revocationKey))
      return err(new ChargemeshError("bad_signature", "revocation list signature does not verify"));
    const body = codec.decode(outer[0]) as unknown[];
    if (
      !Array.isArray(body) ||
      body[0] !== 1 ||
      !Array.isArray(body[3]) ||
      !body[3].every((s) => typeof s === "string")
    )
      throw new Error("bad body");
    const [issuedAtMs, nextUpdateMs] = [num(body[1]), num(body[2])];
    if (!validWindow(issuedAtMs, nextUpdateMs))
      return err(
        new ChargemeshError(
          "invalid_input",
          `revocation list validity is invalid: ${issuedAtMs}..${nextUpdateMs}`,
        ),
      );
    return ok({ issuedAtMs, nextUpdateMs, revoked: new Set(body[3] as string[]) });
  } catch (e) {
    return err(new ChargemeshError("malformed_cbor", `revocation list: ${(e as Error).message}`));
  }
}
