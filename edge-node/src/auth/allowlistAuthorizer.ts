import { X509Certificate } from "node:crypto";
import { contractId as toContractId } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import type { AuthorizationRequest, Authorizer } from "./authorizer.js";
import type { AuthorizationDecision, RiskCaps } from "@chargemesh/shared-model";

export type AccountStanding = "good" | "blocked";

/**
 * The first-stage authorizer: the contract (eMAID from the leaf certificate's subject CN) must be in
 * the cached allowlist with standing "good". It does NOT validate the certificate chain or the
 * challenge signature: that is the certificate authorizer's job (certificateAuthorizer.ts), which
 * replaces this one wherever trust anchors are configured.
 */
export class AllowlistAuthorizer implements Authorizer {
  constructor(
    private readonly standing: (contract: ContractId) => AccountStanding | undefined,
    private readonly unknownCaps: RiskCaps | null,
  ) {}

  async authorize(req: AuthorizationRequest): Promise<AuthorizationDecision> {
    const leaf = req.plug.certificateChain[0];
    if (!leaf) return { accepted: false, reason: "NoCertificateAvailable", contractId: null, detail: "the car offered no contract certificate (a VIN or MAC is never an identity)" };
    let contract: ContractId;
    try {
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(leaf).subject)?.[1];
      contract = toContractId(cn ?? "");
    } catch (e) {
      return { accepted: false, reason: "CertChainError", contractId: null, detail: `leaf certificate unreadable or without an eMAID: ${(e as Error).message}` };
    }
    const standing = this.standing(contract);
    if (standing === "good") return { accepted: true, reason: "Accepted", contractId: contract, caps: {}, mode: "offline" };
    if (standing === "blocked") return { accepted: false, reason: "AccountBlocked", contractId: contract, detail: "account blocked in the allowlist" };
    if (this.unknownCaps) return { accepted: true, reason: "Accepted", contractId: contract, caps: this.unknownCaps, mode: "offline" };
    return { accepted: false, reason: "ContractCancelled", contractId: contract, detail: "contract not in the allowlist" };
  }
}
