import { ChargemeshError } from "@chargemesh/shared-model";
import type { ErrorCode } from "@chargemesh/shared-model";
import { codeOfFrameworkStatus, localApiStatusOf } from "./httpStatus.js";
import type { LocalApiErrorCode } from "./httpStatus.js";

/** The local API's one error type: a stable code (mapped to a status in `httpStatus.ts`) and a message. */
export class LocalApiError extends Error {
  constructor(
    readonly code: LocalApiErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (rate limits). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = "LocalApiError";
  }

  get status(): number {
    return localApiStatusOf[this.code];
  }
}

/** Any thrown value as a LocalApiError: ours as is, core errors by code, framework errors by status,
 *  anything else `internal` with its message hidden. Never throws. */
export function toLocalApiError(e: unknown): LocalApiError {
  if (e instanceof LocalApiError) return e;
  if (e instanceof ChargemeshError) return new LocalApiError(e.code as ErrorCode, e.message);
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new LocalApiError(
      codeOfFrameworkStatus(status),
      String((e as Error).message ?? "bad request").slice(0, 300),
    );
  }
  return new LocalApiError("internal", "internal error");
}
