import { expect, test } from "vitest";
import { signOcmf } from "@chargemesh/shared-model";
import { p256 } from "@noble/curves/nist.js";
import { meterFigures } from "../../src/ocpp/ocppMeterValues.js";

const key = p256.utils.randomSecretKey();
const publicKey = p256.getPublicKey(key, false);
const signed = (wh: number, ocmf: Uint8Array) => [
  {
    timestamp: "2026-12-01T08:00:00.000Z",
    sampledValue: [
      {
        value: wh,
        unitOfMeasure: { unit: "Wh" },
        signedMeterValue: {
          signedMeterData: Buffer.from(ocmf).toString("base64"),
          signingMethod: "ECDSA-secp256r1-SHA256",
          encodingMethod: "OCMF",
          publicKey: "",
        },
      },
      { value: 11_000, measurand: "Power.Active.Import", unitOfMeasure: { unit: "W" } },
    ],
  },
];

test("with the certified meter's key, a signed value that verifies is kept byte for byte", () => {
  const ocmf = signOcmf({ RD: [{ RV: 5_000, RU: "Wh" }] }, key);
  const f = meterFigures(signed(5_000, ocmf), publicKey);
  expect(f).toMatchObject({ registerWh: 5_000, powerW: 11_000, rejectedSignature: null, rejectedCode: null });
  expect(f.signedPayload).toEqual(ocmf);
});

test("with the key, a forged reading under the meter's signature refuses the whole reading with bad_signature", () => {
  const genuine = new TextDecoder().decode(signOcmf({ RD: [{ RV: 5_000, RU: "Wh" }] }, key));
  const forged = new TextEncoder().encode(genuine.replace('"RV":5000', '"RV":9000'));
  const f = meterFigures(signed(9_000, forged), publicKey);
  expect(f.registerWh).toBeNull(); // the plain value travels with the forgery: it is not taken either
  expect(f.signedPayload).toBeNull();
  expect(f.rejectedCode).toBe("bad_signature");
  expect(f.rejectedSignature).toMatch(/signature does not verify/);
  expect(f.powerW).toBe(11_000);
  // Another meter's key (a swapped meter) is refused the same way.
  const other = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  const g = meterFigures(signed(5_000, signOcmf({ RD: [{ RV: 5_000, RU: "Wh" }] }, key)), other);
  expect(g).toMatchObject({ registerWh: null, rejectedCode: "bad_signature" });
});

test("with the key, a valid signature over another register, or garbage, is refused with invalid_input", () => {
  const ocmf = signOcmf({ RD: [{ RV: 5_000, RU: "Wh" }] }, key);
  const f = meterFigures(signed(5_001, ocmf), publicKey);
  expect(f).toMatchObject({ registerWh: null, signedPayload: null, rejectedCode: "invalid_input" });
  expect(f.rejectedSignature).toMatch(/5000 Wh/);
  const g = meterFigures(signed(5_000, new TextEncoder().encode("OCMF|{}|nope")), publicKey);
  expect(g).toMatchObject({ registerWh: null, rejectedCode: "invalid_input" });
  // Without a key the plain register is kept and only the payload left out (the ledger says who signed).
  expect(meterFigures(signed(5_001, ocmf))).toMatchObject({
    registerWh: 5_001,
    signedPayload: null,
    rejectedCode: "invalid_input",
  });
});
