/**
 * Errors are values with stable codes. Code strings never change once released; the mapping of codes
 * to HTTP statuses and process exit codes lives in one place (`@chargemesh/error-mapping`).
 */
export type ErrorCode =
  | "invalid_id"
  | "invalid_input"
  | "malformed_cbor"
  | "malformed_json"
  | "bad_signature"
  | "unknown_key"
  | "not_found"
  | "conflict"
  | "unauthorized"
  | "forbidden"
  | "timeout"
  | "unavailable"
  | "payment_unknown_outcome"
  | "too_large"
  | "rate_limited"
  | "missing_keys"
  | "internal";

export class ChargemeshError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ChargemeshError";
  }
}

export type Result<T, E = ChargemeshError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
