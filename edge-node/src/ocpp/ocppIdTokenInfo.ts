import type { AuthorizationDecision } from "@chargemesh/shared-model";
import type { LocalListStatus } from "./localAuthList.js";

export type IdTokenStatus =
  | "Accepted"
  | "Blocked"
  | "ConcurrentTx"
  | "Expired"
  | "Invalid"
  | "NoCredit"
  | "NotAllowedTypeEVSE"
  | "NotAtThisLocation"
  | "NotAtThisTime"
  | "Unknown";

const CERTIFICATE_STATUSES = new Set([
  "Accepted",
  "SignatureError",
  "CertificateExpired",
  "CertificateRevoked",
  "NoCertificateAvailable",
  "CertChainError",
  "ContractCancelled",
]);

/** The idTokenInfo status a charger caches for the site's decision. */
export function idTokenStatusOf(decision: AuthorizationDecision): IdTokenStatus {
  if (decision.accepted) return "Accepted";
  switch (decision.reason) {
    case "AccountBlocked":
      return "Blocked";
    case "RiskCapExceeded":
      return "NoCredit";
    case "CertificateExpired":
      return "Expired";
    default:
      return "Invalid";
  }
}

/** Authorize.conf's certificateStatus for the decision (the certificate's own verdict, "Accepted" for standing refusals). */
export function certificateStatusOf(decision: AuthorizationDecision): string {
  return decision.accepted || !CERTIFICATE_STATUSES.has(decision.reason) ? "Accepted" : decision.reason;
}

/** What the site would tell a charger about an idToken without a fresh decision: its local-list status. */
export function idTokenStatusFromList(status: LocalListStatus | undefined): IdTokenStatus {
  return status ?? "Unknown";
}
