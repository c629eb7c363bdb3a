import type { ContractId, SessionId, StallId } from "@chargemesh/shared-model";
import type { PlugEvent } from "@chargemesh/hal";

/** OCPP 2.0.1 AuthorizeCertificateStatusEnumType values, plus the account-standing outcomes. */
export type AuthorizationReason =
  | "Accepted"
  | "SignatureError"
  | "CertificateExpired"
  | "CertificateRevoked"
  | "NoCertificateAvailable"
  | "CertChainError"
  | "ContractCancelled"
  | "AccountBlocked"
  | "RiskCapExceeded";

export interface AuthorizationRequest {
  readonly stallId: StallId;
  readonly sessionId: SessionId;
  readonly plug: PlugEvent;
  /** The stall's fresh 16-byte challenge and the car's signature over it (proof of possession). */
  readonly challenge: Uint8Array;
  readonly challengeSignature: Uint8Array | null;
  readonly nowMs: number;
}

/** Limits an offline or unknown contract charges under; absent when the session is uncapped. */
export interface RiskCaps {
  readonly maxEnergyWh?: number;
  readonly maxCostMinor?: number;
}

export type AuthorizationDecision =
  | { readonly accepted: true; readonly reason: "Accepted"; readonly contractId: ContractId; readonly caps: RiskCaps; readonly mode: "online" | "offline" }
  | { readonly accepted: false; readonly reason: Exclude<AuthorizationReason, "Accepted">; readonly contractId: ContractId | null; readonly detail: string };

/** Decides locally, in milliseconds, whether a plugged car may charge. Never throws on hostile input. */
export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<AuthorizationDecision>;
}
