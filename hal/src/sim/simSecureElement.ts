import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { KeyAlgorithm, KeyHandle, SecureElement } from "../secureElement.js";

interface Slot {
  readonly handle: KeyHandle;
  readonly key: KeyObject;
}

/**
 * A software secure element: keys are generated inside and only handles and public keys leave it.
 * For the simulator only, keys can be persisted to a file so a restarted simulated site keeps its
 * meter keys; a real secure element never exports private keys (a replacement is a new key epoch).
 */
export class SimSecureElement implements SecureElement {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly persistPath: string | null = null) {
    if (persistPath && existsSync(persistPath)) {
      const saved = JSON.parse(readFileSync(persistPath, "utf8")) as Array<{
        label: string;
        algorithm: KeyAlgorithm;
        epoch: number;
        pkcs8: string;
      }>;
      for (const s of saved) {
        const key = createPrivateKey({ key: Buffer.from(s.pkcs8, "base64"), format: "der", type: "pkcs8" });
        this.slots.set(s.label, {
          key,
          handle: {
            label: s.label,
            algorithm: s.algorithm,
            epoch: s.epoch,
            publicKey: publicKeyOf(key, s.algorithm),
          },
        });
      }
    }
  }

  async generateKey(label: string, algorithm: KeyAlgorithm): Promise<KeyHandle> {
    if (this.slots.has(label)) throw new Error(`key_exists: ${label}`);
    const { privateKey } =
      algorithm === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const handle: KeyHandle = { label, algorithm, epoch: 0, publicKey: publicKeyOf(privateKey, algorithm) };
    this.slots.set(label, { handle, key: privateKey });
    this.persist();
    return handle;
  }

  async getKey(label: string): Promise<KeyHandle | null> {
    return this.slots.get(label)?.handle ?? null;
  }

  async sign(label: string, message: Uint8Array): Promise<Uint8Array> {
    const slot = this.slots.get(label);
    if (!slot) throw new Error(`unknown key: ${label}`);
    return new Uint8Array(sign(slot.handle.algorithm === "ed25519" ? null : "sha256", message, slot.key));
  }

  private persist(): void {
    if (!this.persistPath) return;
    const data = [...this.slots.values()].map((s) => ({
      label: s.handle.label,
      algorithm: s.handle.algorithm,
      epoch: s.handle.epoch,
      pkcs8: s.key.export({ format: "der", type: "pkcs8" }).toString("base64"),
    }));
    writeFileSync(`${this.persistPath}.tmp`, JSON.stringify(data), { mode: 0o600 });
    chmodSync(`${this.persistPath}.tmp`, 0o600);
    renameSync(`${this.persistPath}.tmp`, this.persistPath);
  }
}

function publicKeyOf(key: KeyObject, algorithm: KeyAlgorithm): Uint8Array {
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(algorithm === "ed25519" ? spki.subarray(spki.length - 32) : spki);
}
