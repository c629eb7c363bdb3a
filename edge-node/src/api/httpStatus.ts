import type { ErrorCode } from "@chargemesh/shared-model";
import { httpStatusOf } from "@chargemesh/error-mapping";

/** The local API's error codes: the core's (server codes too_large and rate_limited among them). */
export type LocalApiErrorCode = ErrorCode;

/** Error code to HTTP status: the one mapping (`@chargemesh/error-mapping`). */
export const localApiStatusOf: Record<LocalApiErrorCode, number> = httpStatusOf;

/** The error code for a status the framework produced itself (bad framing, oversized body). */
export function codeOfFrameworkStatus(status: number): LocalApiErrorCode {
  if (status === 413) return "too_large";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 400 && status < 500) return "invalid_input";
  return "internal";
}
