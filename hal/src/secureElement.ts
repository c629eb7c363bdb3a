/**
 * A secure element: keys are generated inside and never leave it; callers get handles and public keys.
 * Ed25519 signs meter records for plain meters and session tokens; ECDSA P-256 holds a car's contract key.
 */
export type KeyAlgorithm = "ed25519" | "ecdsa-p256";

export interface KeyHandle {
  readonly label: string;
  readonly algorithm: KeyAlgorithm;
  /** Raw public key: 32 bytes for Ed25519; SPKI DER for ECDSA P-256. */
  readonly publicKey: Uint8Array;
  /** Key epoch: a restored or replaced key is a new epoch, never a copy of an old key. */
  readonly epoch: number;
}

export interface SecureElement {
  /** Creates a key under `label` (fails with "key_exists" if one is there). */
  generateKey(label: string, algorithm: KeyAlgorithm): Promise<KeyHandle>;
  getKey(label: string): Promise<KeyHandle | null>;
  /** Signs `message` (Ed25519 pure; ECDSA P-256 with SHA-256, DER-encoded). Rejects for an unknown label. */
  sign(label: string, message: Uint8Array): Promise<Uint8Array>;
}
