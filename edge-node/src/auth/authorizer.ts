import type { ContractId, SessionId, StallId } from "@chargemesh/shared-model";
import type { PlugEvent } from "@chargemesh/hal";

import type { AuthorizationDecision } from "@chargemesh/shared-model";

export interface AuthorizationRequest {
  readonly stallId: StallId;
  readonly sessionId: SessionId;
  readonly plug: PlugEvent;
  /** The stall's fresh 16-byte challenge and the car's signature over it (proof of possession). */
  readonly challenge: Uint8Array;
  readonly challengeSignature: Uint8Array | null;
  readonly nowMs: number;
}

/** Decides locally, in milliseconds, whether a plugged car may charge. Never throws on hostile input. */
export interface Authorizer {
  authorize(request: AuthorizationRequest): Promise<AuthorizationDecision>;
}
