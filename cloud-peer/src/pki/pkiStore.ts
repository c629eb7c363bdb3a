import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { P256 } from "@chargemesh/certificate-issuer";

/** One CA of the PKI: its certificate and private key (an HSM holds these in production). */
export interface StoredCa {
  readonly der: string;
  readonly pkcs8: string;
}

/** The PKI's state on disk: CAs, the revocation key, revoked fingerprints, serial counter. */
export interface PkiState {
  version: 1;
  cas: Record<string, StoredCa>;
  revocationSeed: string;
  /** The Ed25519 key that certifies sites' meter keys (base64 seed); absent in PKIs made before it existed. */
  meterOperatorSeed?: string;
  revoked: string[];
  nextSerial: number;
}

const FILE = "pki.json";

/** Loads the PKI state from `dir`; null when the directory holds none. Throws on a corrupt file. */
export function loadPki(dir: string): PkiState | null {
  const f = join(dir, FILE);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as PkiState) : null;
}

/** Writes the state atomically (temp file + rename). */
export function savePki(dir: string, state: PkiState): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${FILE}.tmp`), JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(join(dir, `${FILE}.tmp`), 0o600);
  renameSync(join(dir, `${FILE}.tmp`), join(dir, FILE));
}

/** A CA as a signer for @peculiar/x509. */
export async function caSigner(ca: StoredCa): Promise<{ cert: x509.X509Certificate; privateKey: CryptoKey }> {
  const privateKey = await crypto.subtle.importKey("pkcs8", Buffer.from(ca.pkcs8, "base64"), P256, false, [
    "sign",
  ]);
  return { cert: new x509.X509Certificate(Buffer.from(ca.der, "base64")), privateKey };
}

export async function storeCa(der: Uint8Array, keys: CryptoKeyPair): Promise<StoredCa> {
  return {
    der: Buffer.from(der).toString("base64"),
    pkcs8: Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64"),
  };
}
