import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/**
 * Issues X.509 certificates in the ISO 15118-2 profile with WebCrypto (runs in Node and browsers):
 * ECDSA P-256 with SHA-256, critical basicConstraints and keyUsage, path lengths on CAs, eMAID in the
 * contract leaf's subject CN. Used by the PKI tooling (cloud-peer), the simulators and the tests.
 * Loads `reflect-metadata` first (a @peculiar/x509 requirement).
 */
export const P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface Issued {
  readonly der: Uint8Array;
  readonly cert: x509.X509Certificate;
  /** Present when this call generated the key pair. */
  readonly keys?: CryptoKeyPair;
}

export interface CaSpec {
  readonly name: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Remaining CA levels allowed below this one. */
  readonly pathLength: number;
}

export async function newP256Keys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** A self-signed root (V2G root or a test's wrong root). */
export async function issueRoot(spec: CaSpec, keys?: CryptoKeyPair): Promise<Issued> {
  const k = keys ?? (await newP256Keys());
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: spec.serial,
    name: `CN=${spec.name}`,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    keys: k,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, spec.pathLength, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { der: new Uint8Array(cert.rawData), cert, keys: k };
}

/** A sub-CA signed by `issuer`. */
export async function issueSubCa(
  spec: CaSpec,
  issuer: { cert: x509.X509Certificate; privateKey: CryptoKey },
  keys?: CryptoKeyPair,
): Promise<Issued> {
  const k = keys ?? (await newP256Keys());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: spec.serial,
    subject: `CN=${spec.name}`,
    issuer: issuer.cert.subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: k.publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, spec.pathLength, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { der: new Uint8Array(cert.rawData), cert, keys: k };
}

/**
 * A contract (or site / cloud-peer) leaf for `subjectCn` over a public key given as SPKI DER (from a
 * secure element) or generated here. Leaves are short-lived: the caller picks the dates.
 */
export async function issueLeaf(
  subjectCn: string,
  serial: string,
  notBefore: Date,
  notAfter: Date,
  issuer: { cert: x509.X509Certificate; privateKey: CryptoKey },
  publicKeySpki?: Uint8Array,
): Promise<Issued> {
  const keys = publicKeySpki ? undefined : await newP256Keys();
  const publicKey = publicKeySpki
    ? (new Uint8Array(publicKeySpki) as Uint8Array<ArrayBuffer>)
    : keys!.publicKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${subjectCn}`,
    issuer: issuer.cert.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
    ],
  });
  return keys
    ? { der: new Uint8Array(cert.rawData), cert, keys }
    : { der: new Uint8Array(cert.rawData), cert };
}
