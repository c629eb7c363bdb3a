import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "@chargemesh/shared-model";

/** Why an account token was refused. */
export type AccountTokenError = "malformed" | "bad_signature" | "expired";

const MAX_TOKEN_CHARS = 1_024;
const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/**
 * Account tokens for the phone: `base64url(JSON {a: accountId, exp}) "." base64url(HMAC-SHA256)`
 * under a key drawn at start from the injected random source (a restart signs everyone out).
 * Stateless, so every gateway process sharing the key accepts them.
 */
export class AccountTokens {
  private readonly key: Uint8Array;

  /** `key` (32 bytes or more) is shared by the gateway processes of one deployment. Throws a RangeError for a shorter key. */
  constructor(
    key: Uint8Array,
    private readonly clock: Clock,
    readonly lifetimeMs = 12 * 3_600_000,
  ) {
    if (key.length < 32) throw new RangeError("account token key must be at least 32 bytes");
    this.key = Uint8Array.from(key);
  }

  /** A token for `accountId` valid for `lifetimeMs` from now. */
  issue(accountId: string): { token: string; expiresAtMs: number } {
    const expiresAtMs = this.clock.now() + this.lifetimeMs;
    const body = b64url(new TextEncoder().encode(JSON.stringify({ a: accountId, exp: expiresAtMs })));
    return { token: `${body}.${this.sign(body)}`, expiresAtMs };
  }

  /** The account a token names, or why it is refused. Never throws. */
  verify(
    token: string,
  ): { ok: true; accountId: string; expiresAtMs: number } | { ok: false; error: AccountTokenError } {
    if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS) return { ok: false, error: "malformed" };
    const [body, sig, extra] = token.split(".");
    if (!body || !sig || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body + sig))
      return { ok: false, error: "malformed" };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { ok: false, error: "bad_signature" };
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return { ok: false, error: "malformed" };
    }
    const { a, exp } = (claims ?? {}) as { a?: unknown; exp?: unknown };
    if (typeof a !== "string" || typeof exp !== "number" || !Number.isSafeInteger(exp))
      return { ok: false, error: "malformed" };
    if (this.clock.now() >= exp) return { ok: false, error: "expired" };
    return { ok: true, accountId: a, expiresAtMs: exp };
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
