import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  cloudApiPaths,
  replaceCardRequestSchema,
  signInRequestSchema,
} from "@chargemesh/shared-model/contracts";
import type {
  AccountResponse,
  HistoryResponse,
  PaymentStanding,
  ReceiptResponse,
  ReplaceCardResponse,
  SettleResponse,
  SignInResponse,
} from "@chargemesh/shared-model/contracts";
import { accountSummary } from "../accounts/driverAccounts.js";
import type { DriverAccounts } from "../accounts/driverAccounts.js";
import type { AccountTokens } from "../accounts/accountTokens.js";
import type { SiteJournalFacts } from "../gateway/siteJournalFacts.js";
import { ApiError } from "./apiError.js";
import type { BillingView } from "./billingView.js";
import type { RequestAuth } from "./requestAuth.js";
import { validate } from "./validate.js";

export interface AccountRouteDeps {
  readonly auth: RequestAuth;
  readonly accounts: DriverAccounts;
  readonly accountTokens: AccountTokens;
  readonly facts: SiteJournalFacts;
  readonly billing: BillingView | null;
}

const sessionParam = z.object({ sessionId: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/) });
const NO_RECORD: PaymentStanding = {
  state: "good",
  debtMinor: 0,
  currency: "EUR",
  source: "no_billing_record",
};

/**
 * The phone's routes: sign in, the account with vehicles, contracts and standing, history, receipts,
 * replacing the card on file, settling a debt.
 */
export function accountRoutes(app: FastifyInstance, d: AccountRouteDeps): void {
  app.post(cloudApiPaths.signIn, async (req): Promise<SignInResponse> => {
    d.auth.checkBudget(req);
    const body = validate(signInRequestSchema, req.body, "sign-in request");
    const account = d.accounts.signIn(body.email, body.password);
    if (!account) d.auth.refuse(req, "email or password is wrong");
    const { token, expiresAtMs } = d.accountTokens.issue(account.accountId);
    return { accountToken: token, expiresAtMs, account: accountSummary(account) };
  });

  app.get(cloudApiPaths.account, async (req): Promise<AccountResponse> => {
    const account = d.accounts.get(d.auth.account(req));
    if (!account) throw new ApiError("unauthorized", "the account no longer exists");
    const standing = (await d.billing?.standing(account.accountId)) ?? NO_RECORD;
    return {
      account: accountSummary(account),
      vehicles: [...account.vehicles],
      contracts: [...account.contracts],
      standing,
      ...(d.billing ? { payments: d.billing.payments() } : {}),
    };
  });

  app.get(cloudApiPaths.history, async (req): Promise<HistoryResponse> => {
    const accountId = d.auth.account(req);
    const contracts = d.accounts.contractsOf(accountId);
    const billed = new Set<string>();
    const sessions = await d.facts.history(contracts, 200, () => false);
    if (d.billing)
      for (const s of sessions)
        if (s.endedAtMs !== null && (await d.billing.receipt(s.sessionId))) billed.add(s.sessionId);
    return { sessions: sessions.map((s) => ({ ...s, hasReceipt: billed.has(s.sessionId) })) };
  });

  app.get("/api/account/sessions/:sessionId/receipt", async (req): Promise<ReceiptResponse> => {
    const accountId = d.auth.account(req);
    const { sessionId } = validate(sessionParam, req.params, "session ID");
    const session = await d.facts.find(d.accounts.contractsOf(accountId), sessionId);
    if (!session) throw new ApiError("not_found", `no session ${sessionId} of this account`);
    if (!d.billing) return { sessionId, receipt: null, pendingReason: "billing_not_connected" };
    const receipt = await d.billing.receipt(sessionId);
    if (receipt) return { sessionId, receipt, pendingReason: null };
    return {
      sessionId,
      receipt: null,
      pendingReason: session.endedAtMs === null ? "session_open" : "not_billed_yet",
    };
  });

  app.put(cloudApiPaths.card, async (req): Promise<ReplaceCardResponse> => {
    const accountId = d.auth.account(req);
    const body = validate(replaceCardRequestSchema, req.body, "card replacement");
    if (!d.billing)
      throw new ApiError(
        "unavailable",
        "billing is not connected to this cloud peer; no card is on file here",
      );
    return d.billing.replaceCard(accountId, body.paymentMethod);
  });

  app.post(cloudApiPaths.settle, async (req): Promise<SettleResponse> => {
    const accountId = d.auth.account(req);
    if (!d.billing)
      throw new ApiError(
        "unavailable",
        "billing is not connected to this cloud peer; nothing can be settled here yet",
      );
    return d.billing.settle(accountId);
  });
}
