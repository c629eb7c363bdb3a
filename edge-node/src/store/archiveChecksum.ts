import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as A from "@automerge/automerge";
import { writeFileDurably } from "@chargemesh/automerge-storage-sqlite";

/** The sidecar beside every archive file: `<id>.automerge.sha256.json`. */
export interface ArchiveSidecar {
  /** The archive file's name (no directory). */
  readonly file: string;
  /** SHA-256 of the archive file's bytes, lowercase hex. */
  readonly sha256: string;
  readonly bytes: number;
  /** The document's Automerge heads when archived (what a restored copy must contain). */
  readonly heads: readonly string[];
}

export type ArchiveCheck =
  | { readonly ok: true; readonly sidecarAdded: boolean }
  | { readonly ok: false; readonly reason: string; readonly heads: readonly string[] | null };

/** The sidecar's path for an archive file. */
export const sidecarOf = (archiveFile: string): string => `${archiveFile}.sha256.json`;

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Writes an archive file and then its checksum sidecar, each durably (temp file, fsync, rename). A
 * crash between the two leaves a file without sidecar, which `checkArchiveFile` completes if the file
 * loads. Throws on an I/O error.
 */
export function writeArchiveFile(file: string, bytes: Uint8Array, heads: readonly string[]): void {
  writeFileDurably(file, bytes);
  const sidecar: ArchiveSidecar = {
    file: basename(file),
    sha256: sha256Hex(bytes),
    bytes: bytes.length,
    heads,
  };
  writeFileDurably(sidecarOf(file), `${JSON.stringify(sidecar)}\n`);
}

/**
 * Checks an archive file against its sidecar (SHA-256 and size). A file without sidecar (archived
 * before checksums, or a crash between the two writes) gets one when it loads as an Automerge
 * document; one that does not load is damaged. Missing or unreadable files and sidecars are damage
 * too. Never throws.
 */
export function checkArchiveFile(file: string): ArchiveCheck {
  let sidecar: ArchiveSidecar | null = null;
  if (existsSync(sidecarOf(file))) {
    try {
      const parsed = JSON.parse(readFileSync(sidecarOf(file), "utf8")) as Partial<ArchiveSidecar>;
      if (
        typeof parsed.sha256 === "string" &&
        Array.isArray(parsed.heads) &&
        typeof parsed.bytes === "number"
      )
        sidecar = parsed as ArchiveSidecar;
    } catch {
      sidecar = null;
    }
    if (!sidecar)
      return { ok: false, reason: `checksum sidecar ${sidecarOf(file)} is unreadable`, heads: null };
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return {
      ok: false,
      reason: `archive file unreadable: ${(e as Error).message}`,
      heads: sidecar?.heads ?? null,
    };
  }
  if (sidecar) {
    const actual = sha256Hex(bytes);
    if (actual === sidecar.sha256 && bytes.length === sidecar.bytes) return { ok: true, sidecarAdded: false };
    return {
      ok: false,
      reason: `SHA-256 ${actual.slice(0, 16)}… (${bytes.length} bytes) does not match the sidecar's ${sidecar.sha256.slice(0, 16)}… (${sidecar.bytes} bytes)`,
      heads: sidecar.heads,
    };
  }
  try {
    const doc = A.load(bytes);
    writeArchiveFile(file, bytes, A.getHeads(doc));
    return { ok: true, sidecarAdded: true };
  } catch (e) {
    return {
      ok: false,
      reason: `no checksum sidecar and the file does not load: ${(e as Error).message}`,
      heads: null,
    };
  }
}

/**
 * Moves a damaged archive file into `archive/quarantine/`, named with `atMs`, never deleting it; its
 * sidecar is copied there and stays in place (the heads a restored copy must contain). Returns the quarantined file's path, or null when the file is not there. Throws on an I/O error.
 */
export function quarantineArchiveFile(file: string, atMs: number): string | null {
  if (!existsSync(file)) return null;
  const dir = join(dirname(file), "quarantine");
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `${basename(file)}.${atMs}.damaged`);
  renameSync(file, target);
  if (existsSync(sidecarOf(file))) copyFileSync(sidecarOf(file), `${target}.sha256.json`);
  return target;
}
