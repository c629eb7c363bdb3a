import type { z } from "zod";
import {
  accountResponseSchema,
  cloudApiErrorBodySchema,
  cloudApiPaths,
  historyResponseSchema,
  settleResponseSchema,
  receiptResponseSchema,
  replaceCardResponseSchema,
  signInResponseSchema,
  stationFinderResponseSchema,
} from "@chargemesh/shared-model/contracts";
import type {
  AccountResponse,
  ConnectorType,
  HistoryResponse,
  SettleResponse,
  ReceiptResponse,
  ReplaceCardResponse,
  SignInResponse,
  StationFinderResponse,
} from "@chargemesh/shared-model/contracts";

/** A failed call: the API's stable error code (or `network` / `bad_response`) and its message. */
export class CloudCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The cloud API as the app calls it: every response is checked against its contract schema, every
 * failure becomes a CloudCallError. The account token travels in the Authorization header only.
 */
export class CloudClient {
  constructor(
    private readonly base: string,
    private readonly token: string | null = null,
  ) {}

  withToken(token: string): CloudClient {
    return new CloudClient(this.base, token);
  }

  signIn(email: string, password: string): Promise<SignInResponse> {
    return this.call(signInResponseSchema, cloudApiPaths.signIn, {
      method: "POST",
      body: JSON.stringify({ email, password }),
    });
  }
  account(): Promise<AccountResponse> {
    return this.call(accountResponseSchema, cloudApiPaths.account);
  }
  history(): Promise<HistoryResponse> {
    return this.call(historyResponseSchema, cloudApiPaths.history);
  }
  receipt(sessionId: string): Promise<ReceiptResponse> {
    return this.call(receiptResponseSchema, cloudApiPaths.receipt(sessionId));
  }
  /** Replaces the card on file with a payment method ID of the provider (a test token with the simulator). */
  replaceCard(paymentMethod: string): Promise<ReplaceCardResponse> {
    return this.call(replaceCardResponseSchema, cloudApiPaths.card, {
      method: "PUT",
      body: JSON.stringify({ paymentMethod }),
    });
  }
  settle(): Promise<SettleResponse> {
    return this.call(settleResponseSchema, cloudApiPaths.settle, { method: "POST" });
  }
  stations(connector?: ConnectorType): Promise<StationFinderResponse> {
    const q = connector ? `?connector=${encodeURIComponent(connector)}` : "";
    return this.call(stationFinderResponseSchema, `${cloudApiPaths.stations}${q}`);
  }

  private async call<T extends z.ZodTypeAny>(
    schema: T,
    path: string,
    init: RequestInit = {},
  ): Promise<z.infer<T>> {
    const headers: Record<string, string> = {};
    if (init.body) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch (e) {
      throw new CloudCallError("network", `the cloud is not reachable (${(e as Error).message})`, 0);
    }
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (!res.ok) {
      const err = cloudApiErrorBodySchema.safeParse(body);
      if (err.success) throw new CloudCallError(err.data.error.code, err.data.error.message, res.status);
      throw new CloudCallError("bad_response", `HTTP ${res.status}`, res.status);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new CloudCallError(
        "bad_response",
        "the cloud answered something this app does not understand",
        res.status,
      );
    return parsed.data;
  }
}
