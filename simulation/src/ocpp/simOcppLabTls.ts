import "reflect-metadata";
import { X509Certificate, createHash, randomBytes } from "node:crypto";
import { issueLeaf, issueRoot } from "@chargemesh/certificate-issuer";

/** The lab CSMS's TLS material (PEM) and the CA a charger trusts it by. */
export interface SimOcppLabTls {
  readonly server: { readonly key: string; readonly cert: string };
  readonly caPem: string;
}

/** A station's Basic-auth secret: the charger holds the password, the site only its SHA-256. */
export interface SimStationCredential {
  readonly stationId: string;
  readonly password: string;
  readonly passwordSha256: string;
}

const DAY = 86_400_000;

/**
 * A throwaway CA and a `localhost` server certificate for the simulated site's OCPP endpoint (security
 * profile 2: TLS plus Basic auth). Made fresh for every run and kept in memory only, never on disk.
 * Validity follows the wall clock, since Node's TLS checks certificates against it (not the
 * simulation's virtual clock). Rejects only if WebCrypto fails.
 */
export async function issueSimOcppLabTls(wallNowMs: number): Promise<SimOcppLabTls> {
  const notBefore = new Date(wallNowMs - DAY);
  const notAfter = new Date(wallNowMs + 30 * DAY);
  const serial = randomBytes(8).toString("hex");
  const root = await issueRoot({ name: "Sim OCPP lab CA", serial, notBefore, notAfter, pathLength: 0 });
  const leaf = await issueLeaf("localhost", `${serial}01`, notBefore, notAfter, {
    cert: root.cert,
    privateKey: root.keys!.privateKey,
  });
  const pk8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", leaf.keys!.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pk8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trim()}\n-----END PRIVATE KEY-----\n`;
  const caPem = new X509Certificate(root.der).toString();
  return { server: { key, cert: new X509Certificate(leaf.der).toString() + caPem }, caPem };
}

/** A random Basic-auth password for a station (32 hex characters, in memory for this run only). */
export function newStationCredential(stationId: string): SimStationCredential {
  const password = randomBytes(16).toString("hex");
  return { stationId, password, passwordSha256: createHash("sha256").update(password).digest("hex") };
}
