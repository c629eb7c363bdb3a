import type { IncomingHttpHeaders } from "node:http";
import { nobleEd25519, verifySessionToken } from "@chargemesh/shared-model";
import type { Clock } from "@chargemesh/shared-model";
import { credentialFromProtocols } from "@chargemesh/shared-model/contracts";
import type { DriverAccounts } from "../accounts/driverAccounts.js";
import type { AccountTokens } from "../accounts/accountTokens.js";

/** Whom a viewer is: the car (one session, until its token expires) or the phone (an account's contracts). */
export type Viewer =
  | { kind: "session"; sessionId: string; contractId: string; expiresAtMs: number }
  | { kind: "account"; accountId: string; contracts: ReadonlySet<string>; expiresAtMs: number };

/** Site token keys the gateway trusts: key ID (`<site>#<epoch>`) -> raw Ed25519 public key. */
export interface SiteTokenKeys {
  keys(): ReadonlyMap<string, Uint8Array>;
}

/** Site token keys held in memory; the wiring adds each site's key as provisioning hands it out. */
export class SiteTokenKeyring implements SiteTokenKeys {
  private readonly map = new Map<string, Uint8Array>();
  /** Trusts `publicKey` (32 bytes) for tokens naming `keyId`; throws a RangeError for another length. */
  trust(keyId: string, publicKey: Uint8Array): void {
    if (publicKey.length !== 32) throw new RangeError("an Ed25519 public key is 32 bytes");
    this.map.set(keyId, Uint8Array.from(publicKey));
  }
  keys(): ReadonlyMap<string, Uint8Array> {
    return this.map;
  }
}

export interface ViewerAuthDeps {
  readonly clock: Clock;
  readonly accounts: DriverAccounts;
  readonly accountTokens: AccountTokens;
  readonly siteTokenKeys: SiteTokenKeys;
}

/** The credential a request carries in its headers: `Authorization: Bearer`, or the WebSocket subprotocol entry. Never in the URL. */
export function credentialOf(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (typeof auth === "string" && auth.startsWith("Bearer ")) return auth.slice(7).trim() || null;
  const proto = headers["sec-websocket-protocol"];
  return credentialFromProtocols(typeof proto === "string" ? proto : undefined);
}

/** Resolves a credential to a viewer: an account token first, then a site-signed session token. Never throws. */
export function viewerOf(
  token: string,
  deps: ViewerAuthDeps,
): { ok: true; viewer: Viewer } | { ok: false; reason: string } {
  const account = deps.accountTokens.verify(token);
  if (account.ok) {
    const a = deps.accounts.get(account.accountId);
    if (!a) return { ok: false, reason: "account no longer exists" };
    return {
      ok: true,
      viewer: {
        kind: "account",
        accountId: a.accountId,
        contracts: deps.accounts.contractsOf(a.accountId),
        expiresAtMs: account.expiresAtMs,
      },
    };
  }
  // Both formats are base64url(body).base64url(signature): a token that is not a valid account token is tried as a session token.
  const session = verifySessionToken(token, deps.siteTokenKeys.keys(), deps.clock.now(), nobleEd25519);
  if (!session.ok)
    return {
      ok: false,
      reason: `neither an account token (${account.error}) nor a session token (${session.error.code})`,
    };
  const c = session.value;
  return {
    ok: true,
    viewer: { kind: "session", sessionId: c.sessionId, contractId: c.contractId, expiresAtMs: c.expiresAtMs },
  };
}
