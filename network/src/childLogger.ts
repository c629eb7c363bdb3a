import pino from "pino";
import type { Logger } from "pino";

/**
 * A child process's pino logger: JSON lines appended to `file` (synchronously, so the last line
 * before a crash is kept), or to stdout when `file` is null (`--json-logs`).
 */
export function childLogger(base: Record<string, string>, file: string | null): Logger {
  return pino(
    { base: { pid: process.pid, ...base } },
    pino.destination({ dest: file ?? 1, sync: true, mkdir: true }),
  );
}
