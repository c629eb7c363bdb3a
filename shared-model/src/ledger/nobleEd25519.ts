import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import type { Ed25519 } from "./ed25519.js";
import { checkR, checkSignatureShape } from "./ed25519Rule.js";

ed.hashes.sha512 = sha512;

/** Ed25519 in pure JavaScript (@noble/ed25519): for browsers, the kiosk and the auditor. */
export const nobleEd25519: Ed25519 = {
  name: "@noble/ed25519",
  publicKey: (seed) => ed.getPublicKey(seed),
  sign: (message, seed) => ed.sign(message, seed),
  verify(signature, message, publicKey) {
    if (checkSignatureShape(signature, publicKey) !== null || checkR(signature) !== null) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};
