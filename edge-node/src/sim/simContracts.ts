import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { SimSecureElement } from "@chargemesh/hal/sim/simSecureElement";
import { CONTRACT_KEY_LABEL } from "@chargemesh/hal/sim/simVehicle";
import { contractId } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";

export interface SimContract {
  readonly contractId: ContractId;
  /** The car's secure element holding the contract key. */
  readonly secureElement: SimSecureElement;
  /** DER, leaf first: contract certificate (CN = eMAID), then the issuing MO CA. */
  readonly chain: readonly Uint8Array[];
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/**
 * Issues contract certificates for simulated cars: an MO CA (ECDSA P-256) signs a leaf per contract
 * whose key is generated inside that car's secure element (the private key never leaves it).
 * The identity issue's PKI tooling builds the full ISO 15118-2 chain; this is the simulator's.
 */
export async function issueSimContracts(count: number, nowMs: number, provider = "CMS"): Promise<SimContract[]> {
  const ca = await crypto.subtle.generateKey(ALG, false, ["sign", "verify"]);
  const notBefore = new Date(nowMs - 86_400_000);
  const notAfter = new Date(nowMs + 365 * 86_400_000);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=Sim MO Sub-CA ${provider}`,
    notBefore,
    notAfter,
    keys: ca,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const out: SimContract[] = [];
  for (let i = 0; i < count; i++) {
    const se = new SimSecureElement();
    const key = await se.generateKey(CONTRACT_KEY_LABEL, "ecdsa-p256");
    const emaid = contractId(`DE-${provider}-C${String(i + 1).padStart(8, "0")}-${i % 10}`);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (i + 2).toString(16).padStart(4, "0"),
      subject: `CN=${emaid}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: new Uint8Array(key.publicKey) as Uint8Array<ArrayBuffer>,
      signingKey: ca.privateKey,
      signingAlgorithm: ALG,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true)],
    });
    out.push({ contractId: emaid, secureElement: se, chain: [new Uint8Array(leaf.rawData), new Uint8Array(caCert.rawData)] });
  }
  return out;
}
