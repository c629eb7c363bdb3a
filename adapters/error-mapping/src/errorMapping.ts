import type { ErrorCode } from "@chargemesh/shared-model";

/** The one place where error codes become HTTP statuses and CLI exit codes. */
export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_id: 400,
  invalid_input: 400,
  malformed_cbor: 400,
  malformed_json: 400,
  bad_signature: 401,
  unknown_key: 401,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  timeout: 504,
  unavailable: 503,
  payment_unknown_outcome: 502,
  too_large: 413,
  rate_limited: 429,
  missing_keys: 500,
  internal: 500,
};

export const exitCodeOf: Record<ErrorCode, number> = {
  invalid_id: 2,
  invalid_input: 2,
  malformed_cbor: 3,
  malformed_json: 3,
  bad_signature: 4,
  unknown_key: 4,
  unauthorized: 4,
  forbidden: 4,
  not_found: 5,
  conflict: 6,
  timeout: 7,
  unavailable: 7,
  payment_unknown_outcome: 8,
  too_large: 3,
  rate_limited: 7,
  missing_keys: 9,
  internal: 70,
};

/** The error code for a status an HTTP framework produced itself (bad framing, oversized body, no route). */
export function codeOfFrameworkStatus(status: number): ErrorCode {
  if (status === 413) return "too_large";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 400 && status < 500) return "invalid_input";
  return "internal";
}
