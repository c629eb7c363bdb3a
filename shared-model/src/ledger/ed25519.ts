/** One Ed25519 interface, two implementations that produce and accept the same bytes. */
export interface Ed25519 {
  readonly name: string;
  /** Raw 32-byte public key of a 32-byte secret seed. */
  publicKey(secretSeed: Uint8Array): Uint8Array;
  /** Deterministic RFC 8032 signature (64 bytes). Throws for a seed that is not 32 bytes. */
  sign(message: Uint8Array, secretSeed: Uint8Array): Uint8Array;
  /** True iff the signature is valid under chargemesh's strict rule (ed25519Rule.ts). Never throws. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
