import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ApiError } from "./apiError.js";
import type { CredentialBudget } from "./credentialBudget.js";
import type { AccountTokens } from "../accounts/accountTokens.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest();

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return typeof h === "string" && h.startsWith("Bearer ") ? h.slice(7).trim() || null : null;
}

/**
 * Guards of the cloud API: the per-address credential budget is checked before any credential, a
 * missing or wrong one is `unauthorized` (and counts against the budget), a waiting address is
 * `rate_limited`. Credentials only in the Authorization header.
 */
export class RequestAuth {
  private readonly operatorDigest: Buffer;

  constructor(
    operatorToken: string,
    private readonly accountTokens: AccountTokens,
    private readonly budget: CredentialBudget,
  ) {
    this.operatorDigest = sha256(operatorToken);
  }

  /** Throws `unauthorized` / `rate_limited` unless the request carries the operator credential. */
  operator(req: FastifyRequest): void {
    const token = this.presented(req);
    if (!timingSafeEqual(sha256(token), this.operatorDigest))
      this.refuse(req, "an operator credential is required");
    this.budget.succeed(req.ip);
  }

  /** The account ID of the request's account token; throws `unauthorized` / `rate_limited` otherwise. */
  account(req: FastifyRequest): string {
    const r = this.accountTokens.verify(this.presented(req));
    if (!r.ok) this.refuse(req, `account token ${r.error}`);
    this.budget.succeed(req.ip);
    return r.accountId;
  }

  /** Throws `rate_limited` while the address waits. */
  checkBudget(req: FastifyRequest): void {
    const wait = this.budget.waitMs(req.ip);
    if (wait > 0)
      throw new ApiError("rate_limited", `too many failed credentials; retry in ${Math.ceil(wait / 1000)} s`);
  }

  /** Counts a failed credential and throws `unauthorized`. */
  refuse(req: FastifyRequest, message: string): never {
    this.budget.fail(req.ip);
    throw new ApiError("unauthorized", message);
  }

  private presented(req: FastifyRequest): string {
    this.checkBudget(req);
    const token = bearer(req);
    if (!token) throw new ApiError("unauthorized", "send a credential in the Authorization header");
    return token;
  }
}
