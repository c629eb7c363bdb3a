import { createPublicKey, verify } from "node:crypto";
import { expect, test } from "vitest";
import type { SecureElement } from "../secureElement.js";

const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

/** The tests every SecureElement passes: keys made inside, signatures that verify, no key export. */
export function runSecureElementCompliance(name: string, make: () => SecureElement): void {
  test(`${name}: Ed25519 and P-256 keys sign what their public keys verify`, async () => {
    const se = make();
    const msg = new TextEncoder().encode("challenge");
    const ed = await se.generateKey("meter:1", "ed25519");
    expect(ed.publicKey).toHaveLength(32);
    const edPub = createPublicKey({
      key: Buffer.concat([SPKI_ED25519, ed.publicKey]),
      format: "der",
      type: "spki",
    });
    expect(verify(null, msg, edPub, await se.sign("meter:1", msg))).toBe(true);
    const ec = await se.generateKey("contract", "ecdsa-p256");
    const ecPub = createPublicKey({ key: Buffer.from(ec.publicKey), format: "der", type: "spki" });
    expect(verify("sha256", msg, ecPub, await se.sign("contract", msg))).toBe(true);
    expect(verify("sha256", new TextEncoder().encode("other"), ecPub, await se.sign("contract", msg))).toBe(
      false,
    );
  });

  test(`${name}: labels are unique, unknown labels are refused, handles carry no private key`, async () => {
    const se = make();
    const h = await se.generateKey("k", "ed25519");
    await expect(se.generateKey("k", "ed25519")).rejects.toThrow(/key_exists/);
    await expect(se.sign("nope", new Uint8Array(1))).rejects.toThrow();
    expect(await se.getKey("nope")).toBeNull();
    expect(Object.keys(h).sort()).toEqual(["algorithm", "epoch", "label", "publicKey"]);
    expect(JSON.stringify(se)).not.toMatch(/PRIVATE|pkcs8/i);
  });
}
