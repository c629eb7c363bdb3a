import { chmodSync, closeSync, fsyncSync, openSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes a small file atomically and durably: a temp file beside it, fsync, rename, fsync of the
 * directory. After a crash the file holds either its old or its new content, never a mix. `mode`
 * (e.g. 0o600 for a key file) is set before the file takes its name. Throws on any I/O error.
 */
export function writeFileDurably(
  path: string,
  content: string | Uint8Array,
  opts: { mode?: number } = {},
): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, opts.mode === undefined ? {} : { mode: opts.mode });
  if (opts.mode !== undefined) chmodSync(tmp, opts.mode);
  const fd = openSync(tmp, "r+");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  const dir = openSync(dirname(path), "r");
  fsyncSync(dir);
  closeSync(dir);
}
