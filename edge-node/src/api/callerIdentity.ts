import type { SessionId, TechnicianId } from "@chargemesh/shared-model";
import { credentialFromProtocols } from "@chargemesh/shared-model/contracts";
import type { CredentialBudget } from "./credentialBudget.js";
import { LocalApiError } from "./localApiError.js";
import { technicianFromToken } from "./technicianAuth.js";

/** Who is asking: a technician, the holder of one session's token, or anyone on the site's network. */
export type Caller =
  { kind: "technician"; id: TechnicianId } | { kind: "session"; sessionId: SessionId } | { kind: "public" };

/** Checks a car's or phone's session token; returns the one session it may read, or an error. */
export type SessionTokenCheck = (
  token: string,
) => { ok: true; sessionId: SessionId } | { ok: false; code: string; message: string };

export interface CallerSources {
  readonly technicians: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[];
  readonly checkSessionToken: SessionTokenCheck | null;
  readonly budget: CredentialBudget;
}

/** The credential of a request: `Authorization: Bearer`, or (WebSocket from a browser) the live
 *  feed's credential subprotocol. Never the URL. */
export function credentialOf(headers: Record<string, string | string[] | undefined>): string | null {
  const h = headers.authorization;
  if (typeof h === "string") {
    const m = /^Bearer +(\S{1,4096})\s*$/.exec(h);
    if (!m) throw new LocalApiError("unauthorized", "the Authorization header must be `Bearer <credential>`");
    return m[1]!;
  }
  const p = headers["sec-websocket-protocol"];
  return credentialFromProtocols(typeof p === "string" ? p : undefined);
}

/**
 * Resolves a credential to its caller. An address that spent its failed-credential budget is refused
 * (`rate_limited`, with the wait) before its credential is looked at; a wrong credential counts
 * against the address and is `unauthorized` (`rate_limited` once the budget is spent). No credential is the public caller.
 */
export function identifyCaller(credential: string | null, address: string, src: CallerSources): Caller {
  if (credential === null) return { kind: "public" };
  const waitMs = src.budget.retryAfterMs(address);
  if (waitMs > 0)
    throw new LocalApiError(
      "rate_limited",
      `too many wrong credentials from ${address}; retry in ${Math.ceil(waitMs / 1000)} s`,
      Math.ceil(waitMs / 1000),
    );
  const tech = technicianFromToken(credential, src.technicians);
  if (tech) return { kind: "technician", id: tech };
  const session = src.checkSessionToken?.(credential);
  if (session?.ok) return { kind: "session", sessionId: session.sessionId };
  const why = session ? `session token refused: ${session.code}: ${session.message}` : "unknown credential";
  const backoffMs = src.budget.failed(address);
  if (backoffMs > 0) {
    const s = Math.ceil(backoffMs / 1000);
    throw new LocalApiError(
      "rate_limited",
      `${why}; too many wrong credentials from ${address}: retry in ${s} s`,
      s,
    );
  }
  throw new LocalApiError("unauthorized", why);
}

/** The technician behind a caller; `unauthorized` for anyone else. */
export function requireTechnician(caller: Caller): TechnicianId {
  if (caller.kind !== "technician")
    throw new LocalApiError("unauthorized", "a technician credential is required");
  return caller.id;
}
