import type { MeterId } from "@chargemesh/shared-model";
import type { Ed25519 } from "@chargemesh/shared-model";
import { issueMeterCertificate } from "@chargemesh/shared-model";
import type { SigningLocation } from "@chargemesh/shared-model";
import type { Clock } from "@chargemesh/shared-model";

export interface CertifiedMeterKey {
  readonly certificate: Uint8Array;
  readonly operatorKeyId: string;
  readonly operatorPublicKey: Uint8Array;
}

/** Certifies a meter's signing key (the operator's registry does this once per key epoch). */
export type MeterCertifier = (
  meterId: MeterId,
  publicKey: Uint8Array,
  keyEpoch: number,
  location: SigningLocation,
) => Promise<CertifiedMeterKey>;

/**
 * A certifier holding the operator key itself: the embedded default and tests. In production the
 * operator key lives in the cloud's registry and sites receive certificates in their config documents.
 */
export function localOperatorCertifier(
  operatorKeyId: string,
  operatorSeed: Uint8Array,
  ed: Ed25519,
  clock: Clock,
  /** A certified meter's own P-256 key for its OCMF payloads (e.g. an OCPP charger's Eichrecht meter). */
  payloadKeyOf: (meterId: MeterId) => Uint8Array | null = () => null,
): MeterCertifier {
  const operatorPublicKey = ed.publicKey(operatorSeed);
  return async (meterId, publicKey, keyEpoch, signingLocation) => ({
    certificate: issueMeterCertificate(
      {
        version: 1,
        meterId,
        publicKey,
        keyEpoch,
        signingLocation,
        issuedAtMs: clock.now(),
        operatorKeyId,
        payloadPublicKey: payloadKeyOf(meterId),
      },
      operatorSeed,
      ed,
    ).shipped,
    operatorKeyId,
    operatorPublicKey,
  });
}
