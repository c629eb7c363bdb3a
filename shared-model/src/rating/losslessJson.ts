import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";

/** Inputs larger than this are refused before parsing. */
export const MAX_JSON_CHARS = 16 * 1024 * 1024;

/**
 * Parses JSON text with every number kept as the decimal text it was written as ("2.00" stays
 * "2.00", 0.1 never becomes a float). Numbers become strings; everything else is plain JSON.
 * Never throws: bad JSON gives `malformed_json` naming the position.
 */
export function parseJsonKeepingNumbers(text: string): Result<unknown> {
  if (typeof text !== "string") return err(new ChargemeshError("malformed_json", "expected JSON text"));
  if (text.length > MAX_JSON_CHARS)
    return err(new ChargemeshError("malformed_json", `JSON text over ${MAX_JSON_CHARS} characters`));
  let out = "";
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m) return err(new ChargemeshError("malformed_json", `bad number at position ${i}`));
      out += `${text.slice(last, i)}"${m[0]}"`;
      i += m[0].length;
      last = i;
      continue;
    }
    i++;
  }
  out += text.slice(last);
  try {
    return ok(JSON.parse(out));
  } catch (e) {
    return err(new ChargemeshError("malformed_json", `not JSON: ${(e as Error).message}`));
  }
}
