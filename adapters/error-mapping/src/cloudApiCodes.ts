import type { ErrorCode } from "@chargemesh/shared-model";
import type { CloudApiErrorCode } from "@chargemesh/shared-model/contracts";

/** The HTTP status of each public cloud API error code (shared-model/contracts `cloudApiErrorCodes`). */
export const httpStatusOfCloudApiCode: Record<CloudApiErrorCode, number> = {
  invalid_input: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  payment_method_unknown: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/**
 * The public cloud API code a core error code is shown as: the API's smaller, stable set, which hides
 * internal distinctions (a bad signature and an unknown key are both `unauthorized`; a payment whose
 * outcome is unknown is `unavailable`, to be retried).
 */
export const cloudApiCodeOf: Record<ErrorCode, CloudApiErrorCode> = {
  invalid_id: "invalid_input",
  invalid_input: "invalid_input",
  malformed_cbor: "invalid_input",
  malformed_json: "malformed_json",
  bad_signature: "unauthorized",
  unknown_key: "unauthorized",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  not_found: "not_found",
  conflict: "conflict",
  timeout: "unavailable",
  unavailable: "unavailable",
  payment_unknown_outcome: "unavailable",
  too_large: "payload_too_large",
  rate_limited: "rate_limited",
  missing_keys: "unavailable",
  internal: "internal",
};
