import { generateKeyPairSync, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import type { KeyAlgorithm, KeyHandle, SecureElement } from "@chargemesh/hal";

/** An in-memory Ed25519 secure element for edge-node tests (hal has the real simulator). */
export class TestSecureElement implements SecureElement {
  private readonly keys = new Map<string, { handle: KeyHandle; priv: KeyObject }>();

  async generateKey(label: string, algorithm: KeyAlgorithm): Promise<KeyHandle> {
    if (this.keys.has(label)) throw new Error("key_exists");
    if (algorithm !== "ed25519") throw new Error("only ed25519 here");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const handle: KeyHandle = { label, algorithm, publicKey: new Uint8Array(raw), epoch: 0 };
    this.keys.set(label, { handle, priv: privateKey });
    return handle;
  }

  async getKey(label: string): Promise<KeyHandle | null> {
    return this.keys.get(label)?.handle ?? null;
  }

  async sign(label: string, message: Uint8Array): Promise<Uint8Array> {
    const k = this.keys.get(label);
    if (!k) throw new Error(`unknown key ${label}`);
    return new Uint8Array(sign(null, message, k.priv));
  }
}
