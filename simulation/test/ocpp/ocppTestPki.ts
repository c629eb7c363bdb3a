import "reflect-metadata";
import { X509Certificate } from "node:crypto";
import { issueLeaf, issueRoot, issueSubCa } from "@chargemesh/certificate-issuer";

export interface TestPki {
  readonly rootDer: Uint8Array;
  readonly rootPem: string;
  /** The CSMS TLS key and certificate chain (CN=localhost), PEM. */
  readonly server: { readonly key: string; readonly cert: string };
  /** CA PEM that issues station certificates (for the server's profile-3 trust). */
  readonly stationCaPem: string;
  contract(emaid: string, notAfter?: Date): Promise<{ chainDer: Uint8Array[]; chainPem: string }>;
  station(stationId: string): Promise<{ key: string; cert: string }>;
}

const pem = (der: Uint8Array) => new X509Certificate(der).toString();

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const pk8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${pk8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trim()}\n-----END PRIVATE KEY-----\n`;
}

/** A throwaway V2G/MO/CPO PKI for tests, made with the project's ISO 15118 certificate issuer. */
export async function makeTestPki(nowMs: number): Promise<TestPki> {
  const from = new Date(nowMs - 86_400_000);
  const to = new Date(nowMs + 400 * 86_400_000);
  const root = await issueRoot({
    name: "V2G Root Test",
    serial: "01",
    notBefore: from,
    notAfter: to,
    pathLength: 2,
  });
  const rootCa = { cert: root.cert, privateKey: root.keys!.privateKey };
  const mo1 = await issueSubCa(
    { name: "MO Sub-CA 1", serial: "02", notBefore: from, notAfter: to, pathLength: 1 },
    rootCa,
  );
  const mo2 = await issueSubCa(
    { name: "MO Sub-CA 2", serial: "03", notBefore: from, notAfter: to, pathLength: 0 },
    { cert: mo1.cert, privateKey: mo1.keys!.privateKey },
  );
  const cpo = await issueSubCa(
    { name: "CPO Sub-CA", serial: "04", notBefore: from, notAfter: to, pathLength: 0 },
    rootCa,
  );
  const cpoCa = { cert: cpo.cert, privateKey: cpo.keys!.privateKey };
  const serverLeaf = await issueLeaf("localhost", "05", from, to, cpoCa);
  let serial = 16;
  return {
    rootDer: root.der,
    rootPem: pem(root.der),
    server: { key: await keyPem(serverLeaf.keys!), cert: pem(serverLeaf.der) + pem(cpo.der) },
    stationCaPem: pem(cpo.der) + pem(root.der),
    contract: async (emaid, notAfter = to) => {
      const leaf = await issueLeaf(emaid, (serial++).toString(16), from, notAfter, {
        cert: mo2.cert,
        privateKey: mo2.keys!.privateKey,
      });
      const chainDer = [leaf.der, mo2.der, mo1.der];
      return { chainDer, chainPem: chainDer.map(pem).join("") };
    },
    station: async (stationId) => {
      const leaf = await issueLeaf(stationId, (serial++).toString(16), from, to, cpoCa);
      return { key: await keyPem(leaf.keys!), cert: pem(leaf.der) + pem(cpo.der) };
    },
  };
}
