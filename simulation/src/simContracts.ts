import "reflect-metadata";
import { SimSecureElement } from "@chargemesh/hal";
import { CONTRACT_KEY_LABEL } from "@chargemesh/hal";
import { contractId } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import { issueLeaf, issueRoot, issueSubCa } from "@chargemesh/certificate-issuer";

export interface SimContract {
  readonly contractId: ContractId;
  /** The car's secure element holding the contract key. */
  readonly secureElement: SimSecureElement;
  /** DER, leaf first: contract certificate (CN = eMAID), MO sub-CA 2, MO sub-CA 1. */
  readonly chain: readonly Uint8Array[];
}

export interface SimPki {
  /** The V2G root: the site's trust anchor. */
  readonly rootDer: Uint8Array;
  readonly contracts: readonly SimContract[];
}

const DAY = 86_400_000;

/**
 * The simulator's Plug & Charge PKI in the ISO 15118-2 shape: V2G root -> MO sub-CA 1 -> MO sub-CA 2
 * -> one contract leaf per car, whose key is generated inside that car's secure element.
 */
export async function issueSimContracts(count: number, nowMs: number, provider = "CMS"): Promise<SimPki> {
  const span = { notBefore: new Date(nowMs - 365 * DAY), notAfter: new Date(nowMs + 5 * 365 * DAY) };
  const root = await issueRoot({ name: "Sim V2G Root CA", serial: "01", pathLength: 2, ...span });
  const mo1 = await issueSubCa(
    { name: `Sim MO Sub-CA 1 ${provider}`, serial: "02", pathLength: 1, ...span },
    { cert: root.cert, privateKey: root.keys!.privateKey },
  );
  const mo2 = await issueSubCa(
    { name: `Sim MO Sub-CA 2 ${provider}`, serial: "03", pathLength: 0, ...span },
    { cert: mo1.cert, privateKey: mo1.keys!.privateKey },
  );
  const contracts: SimContract[] = [];
  for (let i = 0; i < count; i++) {
    const se = new SimSecureElement();
    const key = await se.generateKey(CONTRACT_KEY_LABEL, "ecdsa-p256");
    const emaid = contractId(`DE-${provider}-C${String(i + 1).padStart(8, "0")}-${i % 10}`);
    const leaf = await issueLeaf(
      emaid,
      (i + 16).toString(16),
      new Date(nowMs - DAY),
      new Date(nowMs + 2 * 365 * DAY),
      { cert: mo2.cert, privateKey: mo2.keys!.privateKey },
      key.publicKey,
    );
    contracts.push({ contractId: emaid, secureElement: se, chain: [leaf.der, mo2.der, mo1.der] });
  }
  return { rootDer: root.der, contracts };
}
