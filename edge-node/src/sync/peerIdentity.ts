import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { writeFileDurably } from "@chargemesh/automerge-storage-sqlite";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";

/**
 * The node's libp2p Ed25519 identity kept in `file`: read when present, else generated once and written
 * durably and readable by its owner only (0600; temp file, fsync, rename), so the peer ID (the registry entry) survives restarts and SIGKILL.
 * Throws when the file exists but does not hold a private key.
 */
export async function loadOrCreatePrivateKey(file: string): Promise<PrivateKey> {
  if (existsSync(file)) return privateKeyFromProtobuf(readFileSync(file));
  const key = await generateKeyPair("Ed25519");
  mkdirSync(dirname(file), { recursive: true });
  writeFileDurably(file, privateKeyToProtobuf(key), { mode: 0o600 });
  return key;
}
