import { ChargemeshError } from "@chargemesh/shared-model";
import type { ErrorCode } from "@chargemesh/shared-model";
import type { CloudApiErrorBody, CloudApiErrorCode } from "@chargemesh/shared-model/contracts";

/** The cloud API's one error type: a stable code (shared-model/contracts `cloudApiErrorCodes`) and a message. */
export class ApiError extends Error {
  constructor(
    readonly code: CloudApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The one place where cloud API error codes become HTTP statuses. */
export const statusOfApiError: Record<CloudApiErrorCode, number> = {
  invalid_input: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

// Partial: a core code added later maps to `internal` until it is listed here.
const fromCoreCode: Partial<
  Record<ErrorCode | "too_large" | "rate_limited" | "missing_keys", CloudApiErrorCode>
> = {
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
  internal: "internal",
  too_large: "payload_too_large",
  rate_limited: "rate_limited",
  missing_keys: "unavailable",
};

/** Fastify's own error codes (parser, limits) as API errors. */
const fromFastifyCode: Record<string, CloudApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_JSON_BODY: "malformed_json",
  FST_ERR_CTP_EMPTY_JSON_BODY: "malformed_json",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "invalid_input",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_input",
  FST_ERR_BAD_URL: "invalid_input",
  FST_ERR_ASYNC_CONSTRAINT: "invalid_input",
};

/** Any thrown value as an ApiError: ours as is, core errors by code, fastify's by code, the rest `internal` (message hidden). Never throws. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ChargemeshError) return new ApiError(fromCoreCode[e.code] ?? "internal", e.message);
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && code in fromFastifyCode)
    return new ApiError(fromFastifyCode[code]!, String((e as Error).message).slice(0, 300));
  if ((e as { type?: unknown })?.type === "entity.too.large")
    return new ApiError("payload_too_large", "body too large");
  return new ApiError("internal", "internal error");
}

/** The JSON body of an error response. */
export function apiErrorBody(e: ApiError): CloudApiErrorBody {
  return { error: { code: e.code, message: e.message.slice(0, 2_000) } };
}
