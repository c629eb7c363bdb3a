import { X509Certificate, verify as verifySignature } from "node:crypto";
import type { ContractId } from "@chargemesh/shared-model";
import { contractId as toContractId } from "@chargemesh/shared-model";
import { certificateFingerprint, verifyRevocationList } from "@chargemesh/shared-model";
import type { RevocationList } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { AuthorizationRequest, Authorizer } from "./authorizer.js";
import type { SiteConfig } from "../config/siteConfig.js";
import type { AuthorizationDecision, AuthorizationReason, RiskCaps } from "@chargemesh/shared-model";

/** What the site holds from its config documents for authorization. */
export interface TrustStore {
  /** V2G / MO root certificates (DER). */
  trustAnchors(): readonly Uint8Array[];
  /** The latest signed revocation list and the key it must be signed with, or null. */
  revocationList(): { readonly signed: Uint8Array; readonly key: Uint8Array } | null;
  standing(contract: ContractId): "good" | "blocked" | undefined;
  /** When the site last heard from a cloud peer (ms), and whether the region is declared failed. */
  lastCloudContactMs(): number;
  regionFailed(): boolean;
  /** Sessions this contract started today at this site (the per-day cap). */
  sessionsToday(contract: ContractId): number;
}

export interface OfflinePolicy {
  /** Without cloud contact for longer than this, the site is offline for authorization. */
  readonly offlineAfterMs: number;
  /** A revocation list older than this (past its nextUpdate) is stale: the offline policy applies. */
  readonly revocationMaxAgeMs: number;
  readonly unknownContractCaps: RiskCaps;
  readonly unknownContractMaxSessionsPerDay: number;
  /** Caps when the cloud region is declared failed (fail open with elevated caps). */
  readonly regionFailedCaps: RiskCaps;
}

/** The offline policy of a site's config file (revocation lists older than two days are stale). */
export function offlinePolicyOf(config: Pick<SiteConfig, "offlinePolicy">): OfflinePolicy {
  const p = config.offlinePolicy;
  return {
    offlineAfterMs: p.offlineAfterMs,
    revocationMaxAgeMs: 2 * 86_400_000,
    unknownContractCaps: { maxEnergyWh: p.unknownContractMaxEnergyWh },
    unknownContractMaxSessionsPerDay: p.unknownContractMaxSessionsPerDay,
    regionFailedCaps: { maxEnergyWh: p.regionFailedMaxEnergyWh },
  };
}

type Refusal = Exclude<AuthorizationReason, "Accepted">;

/**
 * Plug & Charge authorization at the site, in milliseconds and without the cloud: the contract chain
 * up to a cached trust anchor (signatures, CA flags, validity on the injected time), the revocation
 * list (signed, with a maximum age), the car's ECDSA signature over this stall's fresh challenge
 * (proof of possession of the contract key), the claimed eMAID, the account standing and the
 * offline policy. Reasons are OCPP 2.0.1 AuthorizeCertificateStatus values. Never throws.
 */
export class CertificateAuthorizer implements Authorizer {
  constructor(
    private readonly trust: TrustStore,
    private readonly policy: OfflinePolicy,
  ) {}

  async authorize(req: AuthorizationRequest): Promise<AuthorizationDecision> {
    try {
      return this.decide(req);
    } catch (e) {
      return refuse("CertChainError", null, `unexpected input: ${(e as Error).message}`);
    }
  }

  private decide(req: AuthorizationRequest): AuthorizationDecision {
    const chainDer = req.plug.certificateChain;
    if (chainDer.length === 0)
      return refuse(
        "NoCertificateAvailable",
        null,
        "no contract certificate offered (a VIN or MAC is never an identity)",
      );
    let chain: X509Certificate[];
    try {
      chain = chainDer.map((d) => new X509Certificate(d));
    } catch (e) {
      return refuse("CertChainError", null, `certificate bytes do not parse: ${(e as Error).message}`);
    }
    const leaf = chain[0]!;
    let contract: ContractId;
    try {
      contract = toContractId(/(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1] ?? "");
    } catch {
      return refuse("CertChainError", null, "the leaf's subject CN is not an eMAID");
    }
    if (req.plug.claimedEmaid !== undefined && req.plug.claimedEmaid !== contract)
      return refuse(
        "CertChainError",
        contract,
        `claimed eMAID ${req.plug.claimedEmaid} does not match the certificate`,
      );
    const now = new Date(req.nowMs);
    for (const [i, c] of chain.entries()) {
      if (now < new Date(c.validFrom) || now > new Date(c.validTo))
        return refuse(
          "CertificateExpired",
          contract,
          `certificate ${i} is valid ${c.validFrom} to ${c.validTo}`,
        );
    }
    if (leaf.ca) return refuse("CertChainError", contract, "the leaf is a CA certificate");
    for (let i = 0; i + 1 < chain.length; i++) {
      const issuer = chain[i + 1]!;
      if (!issuer.ca || !chain[i]!.checkIssued(issuer) || !chain[i]!.verify(issuer.publicKey))
        return refuse("CertChainError", contract, `certificate ${i} is not signed by certificate ${i + 1}`);
    }
    const top = chain.at(-1)!;
    const anchors = this.trust.trustAnchors().map((d) => new X509Certificate(d));
    const anchor = anchors.find(
      (a) => a.raw.equals(top.raw) || (top.checkIssued(a) && top.verify(a.publicKey)),
    );
    if (!anchor) return refuse("CertChainError", contract, "the chain does not lead to a trusted root");
    if (now > new Date(anchor.validTo))
      return refuse("CertificateExpired", contract, "the trust anchor has expired");

    const revocation = this.revocation(req.nowMs);
    if (
      revocation.list &&
      [...chainDer].some((d) => revocation.list!.revoked.has(certificateFingerprint(d)))
    ) {
      return refuse("CertificateRevoked", contract, "a certificate of the chain is on the revocation list");
    }
    // Through OCPP the charger's SECC checked the car's signature (the CSMS sees only the chain).
    const proofOfPossession = req.plug.proofOfPossession ?? "site";
    if (proofOfPossession === "site" && !req.challengeSignature)
      return refuse("SignatureError", contract, "the car did not sign the challenge");
    if (
      proofOfPossession === "site" &&
      !verifySignature("sha256", req.challenge, leaf.publicKey, req.challengeSignature!)
    ) {
      return refuse(
        "SignatureError",
        contract,
        "the challenge signature does not verify with the contract key (wrong key or replayed)",
      );
    }
    const standing = this.trust.standing(contract);
    if (standing === "blocked") return refuse("AccountBlocked", contract, "account blocked");
    const offline =
      req.nowMs - this.trust.lastCloudContactMs() > this.policy.offlineAfterMs || revocation.stale;
    const mode = offline ? "offline" : "online";
    if (standing === "good")
      return { accepted: true, reason: "Accepted", contractId: contract, caps: {}, mode, proofOfPossession };
    if (!offline) return refuse("ContractCancelled", contract, "contract unknown to the operator");
    if (this.trust.sessionsToday(contract) >= this.policy.unknownContractMaxSessionsPerDay)
      return refuse("RiskCapExceeded", contract, "offline: sessions per day for an unknown contract used up");
    const caps = this.trust.regionFailed() ? this.policy.regionFailedCaps : this.policy.unknownContractCaps;
    return { accepted: true, reason: "Accepted", contractId: contract, caps, mode, proofOfPossession };
  }

  private revocation(nowMs: number): { list: RevocationList | null; stale: boolean } {
    const held = this.trust.revocationList();
    if (!held) return { list: null, stale: true };
    const v = verifyRevocationList(held.signed, held.key, nodeEd25519);
    if (!v.ok) return { list: null, stale: true };
    return { list: v.value, stale: nowMs > v.value.nextUpdateMs + this.policy.revocationMaxAgeMs };
  }
}

function refuse(reason: Refusal, contractId: ContractId | null, detail: string): AuthorizationDecision {
  return { accepted: false, reason, contractId, detail };
}
