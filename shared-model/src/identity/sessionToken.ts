import { Encoder } from "cbor-x";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { Ed25519 } from "../ledger/ed25519.js";

/**
 * Short-lived session tokens: the site signs (Ed25519, its certified key) a claim binding session,
 * contract, stall and site with an expiry of minutes. The car's dashboard and the owner's phone
 * present it to read that session and nothing else; anyone holding the site's public key verifies it
 * offline (edge-node local API, cloud gateway, browser). Format: base64url(CBOR claims) "." base64url(sig).
 */
export interface SessionTokenClaims {
  readonly sessionId: string;
  readonly contractId: string;
  readonly stallId: string;
  readonly siteId: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** Which site key signed it (sites rotate keys by epoch). */
  readonly keyId: string;
}

export type TokenErrorCode =
  "malformed" | "unknown_site_key" | "bad_signature" | "expired" | "not_yet_valid" | "wrong_session";

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false });
const MAX_TOKEN_CHARS = 2_048;

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const big = (n: number): number | bigint => (n >= 2 ** 32 ? BigInt(n) : n);
const num = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v)
    ? v
    : typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : null;

/** The bytes a token's signature covers. Throws for an expiry not after issuance. */
export function sessionTokenBody(claims: SessionTokenClaims): Uint8Array {
  if (claims.expiresAtMs <= claims.issuedAtMs)
    throw new ChargemeshError("invalid_input", "a token must expire after it is issued");
  return new Uint8Array(
    codec.encode([
      1,
      claims.sessionId,
      claims.contractId,
      claims.stallId,
      claims.siteId,
      big(claims.issuedAtMs),
      big(claims.expiresAtMs),
      claims.keyId,
    ]),
  );
}

/** Joins a body and its Ed25519 signature (made wherever the site key lives, e.g. a secure element). */
export function sessionTokenFrom(body: Uint8Array, signature: Uint8Array): string {
  return `${b64url(body)}.${b64url(signature)}`;
}

/** Issues a token signed with the site key given as a 32-byte seed (tests, tools). */
export function issueSessionToken(claims: SessionTokenClaims, siteSeed: Uint8Array, ed: Ed25519): string {
  const body = sessionTokenBody(claims);
  return sessionTokenFrom(body, ed.sign(body, siteSeed));
}

/**
 * Verifies a token offline against the site keys (key ID -> raw Ed25519 public key) at `nowMs`;
 * when `expectedSessionId` is given the token must be for that session. Never throws.
 */
export function verifySessionToken(
  token: string,
  siteKeys: ReadonlyMap<string, Uint8Array>,
  nowMs: number,
  ed: Ed25519,
  expectedSessionId?: string,
): Result<SessionTokenClaims, { code: TokenErrorCode; message: string }> {
  const fail = (code: TokenErrorCode, message: string) => err({ code, message });
  if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS)
    return fail("malformed", "token missing or too long");
  const parts = token.split(".");
  const body = parts.length === 2 ? unb64url(parts[0]!) : null;
  const sig = parts.length === 2 ? unb64url(parts[1]!) : null;
  if (!body || !sig) return fail("malformed", "expected base64url(claims).base64url(signature)");
  let a: unknown;
  try {
    a = codec.decode(body);
  } catch {
    return fail("malformed", "claims are not CBOR");
  }
  if (!Array.isArray(a) || a.length !== 8 || a[0] !== 1) return fail("malformed", "unknown claims layout");
  const [, sessionId, contractId, stallId, siteId, iat, exp, keyId] = a as unknown[];
  const issuedAtMs = num(iat);
  const expiresAtMs = num(exp);
  if (
    [sessionId, contractId, stallId, siteId, keyId].some((v) => typeof v !== "string") ||
    issuedAtMs === null ||
    expiresAtMs === null
  )
    return fail("malformed", "bad claim types");
  const key = siteKeys.get(keyId as string);
  if (!key) return fail("unknown_site_key", `no site key ${String(keyId)}`);
  if (!ed.verify(sig, body, key)) return fail("bad_signature", "signature does not verify with the site key");
  if (nowMs >= expiresAtMs) return fail("expired", `expired at ${new Date(expiresAtMs).toISOString()}`);
  if (nowMs < issuedAtMs - 60_000) return fail("not_yet_valid", "issued in the future");
  if (expectedSessionId !== undefined && sessionId !== expectedSessionId)
    return fail("wrong_session", "this token is for another session");
  return ok({ sessionId, contractId, stallId, siteId, issuedAtMs, expiresAtMs, keyId } as SessionTokenClaims);
}
