import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * A credential kept in `file` (mode 0600): read when present, else drawn once from the system's
 * randomness (24 bytes, base64url) and written durably (temp file created 0600, fsync, rename).
 * Throws on an I/O error or when the file holds no credential.
 */
export function loadOrCreateSecret(file: string): string {
  if (existsSync(file)) {
    const held = readFileSync(file, "utf8").trim();
    if (!/^[A-Za-z0-9_-]{16,200}$/.test(held))
      throw new Error(`${file} does not hold a credential; delete it to draw a new one`);
    return held;
  }
  const secret = randomBytes(24).toString("base64url");
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${secret}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return secret;
}

/** Reads a credential written by `loadOrCreateSecret`; throws when the file is absent or empty. */
export function readSecret(file: string): string {
  const held = readFileSync(file, "utf8").trim();
  if (held === "") throw new Error(`${file} is empty`);
  return held;
}
