import { Encoder } from "cbor-x";
import type { MeterId } from "../ids.js";
import { meterId as toMeterId } from "../ids.js";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { Ed25519 } from "./ed25519.js";

/** Where a meter's records are signed: inside the meter (Eichrecht) or in the site's secure element. */
export type SigningLocation = "meter" | "site-secure-element";

/** An operator's statement that `publicKey` (epoch `keyEpoch`) signs meter `meterId`'s records. */
export interface MeterCertificateBody {
  readonly version: 1;
  readonly meterId: MeterId;
  readonly publicKey: Uint8Array;
  readonly keyEpoch: number;
  readonly signingLocation: SigningLocation;
  readonly issuedAtMs: number;
  readonly operatorKeyId: string;
  /** A certified meter's own P-256 public key (SEC1) for its OCMF payloads; null for plain meters. */
  readonly payloadPublicKey: Uint8Array | null;
}

export interface MeterCertificate {
  readonly body: MeterCertificateBody;
  /** The shipped bytes `[bodyBytes, signature]`. */
  readonly shipped: Uint8Array;
}

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false });
const LOCATIONS: readonly SigningLocation[] = ["meter", "site-secure-element"];
const big = (n: number): number | bigint => (n >= 2 ** 32 ? BigInt(n) : n);
const asUint = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    ? v
    : typeof v === "bigint" && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : null;

function encodeBody(b: MeterCertificateBody): Uint8Array {
  return new Uint8Array(
    codec.encode([
      b.version,
      b.meterId,
      b.publicKey,
      big(b.keyEpoch),
      LOCATIONS.indexOf(b.signingLocation),
      big(b.issuedAtMs),
      b.operatorKeyId,
      b.payloadPublicKey,
    ]),
  );
}

/** Issues a meter certificate signed by the operator key (32-byte seed). Throws on a malformed body. */
export function issueMeterCertificate(
  body: MeterCertificateBody,
  operatorSeed: Uint8Array,
  ed: Ed25519,
): MeterCertificate {
  if (body.publicKey.length !== 32)
    throw new ChargemeshError("invalid_input", "meter public key must be 32 bytes");
  const bodyBytes = encodeBody(body);
  const signature = ed.sign(bodyBytes, operatorSeed);
  return { body, shipped: new Uint8Array(codec.encode([bodyBytes, signature])) };
}

/**
 * Decodes a shipped certificate and checks the operator's signature with `operatorKeys` (key ID ->
 * raw public key). Never throws: malformed bytes, an unknown operator key or a bad signature are errors.
 */
export function verifyMeterCertificate(
  shipped: Uint8Array,
  operatorKeys: ReadonlyMap<string, Uint8Array>,
  ed: Pick<Ed25519, "verify">,
): Result<MeterCertificate> {
  let outer: unknown;
  let inner: unknown;
  try {
    outer = codec.decode(shipped);
    if (
      !Array.isArray(outer) ||
      outer.length !== 2 ||
      !(outer[0] instanceof Uint8Array) ||
      !(outer[1] instanceof Uint8Array)
    )
      throw new Error("expected [body, signature]");
    inner = codec.decode(outer[0]);
  } catch (e) {
    return err(new ChargemeshError("malformed_cbor", `meter certificate: ${(e as Error).message}`));
  }
  const [bodyBytes, signature] = outer as [Uint8Array, Uint8Array];
  if (!Array.isArray(inner) || inner.length !== 8)
    return err(new ChargemeshError("malformed_cbor", "meter certificate body: expected 8 fields"));
  const [version, meter, publicKey, epoch, loc, issued, operatorKeyId, payloadKey] = inner as unknown[];
  if (payloadKey !== null && !(payloadKey instanceof Uint8Array))
    return err(new ChargemeshError("malformed_cbor", "meter certificate body: bad payload key"));
  const keyEpoch = asUint(epoch);
  const issuedAtMs = asUint(issued);
  if (
    version !== 1 ||
    typeof meter !== "string" ||
    !(publicKey instanceof Uint8Array) ||
    publicKey.length !== 32 ||
    keyEpoch === null ||
    issuedAtMs === null ||
    typeof loc !== "number" ||
    LOCATIONS[loc] === undefined ||
    typeof operatorKeyId !== "string"
  ) {
    return err(new ChargemeshError("malformed_cbor", "meter certificate body: bad field"));
  }
  let body: MeterCertificateBody;
  try {
    body = {
      version: 1,
      meterId: toMeterId(meter),
      publicKey: new Uint8Array(publicKey),
      keyEpoch,
      signingLocation: LOCATIONS[loc]!,
      issuedAtMs,
      operatorKeyId,
      payloadPublicKey: payloadKey === null ? null : new Uint8Array(payloadKey),
    };
  } catch (e) {
    return err(new ChargemeshError("malformed_cbor", (e as Error).message));
  }
  const opKey = operatorKeys.get(operatorKeyId);
  if (!opKey)
    return err(
      new ChargemeshError("unknown_key", `meter certificate signed by unknown operator key ${operatorKeyId}`),
    );
  if (!ed.verify(signature, bodyBytes, opKey))
    return err(
      new ChargemeshError(
        "bad_signature",
        `meter certificate for ${meter}: operator signature does not verify`,
      ),
    );
  return ok({ body, shipped });
}
