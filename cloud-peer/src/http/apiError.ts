import { ChargemeshError } from "@chargemesh/shared-model";
import { cloudApiCodeOf, httpStatusOfCloudApiCode } from "@chargemesh/error-mapping";
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

/** The HTTP status of each cloud API error code (the table lives in @chargemesh/error-mapping). */
export const statusOfApiError = httpStatusOfCloudApiCode;

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
  if (e instanceof ChargemeshError) return new ApiError(cloudApiCodeOf[e.code] ?? "internal", e.message);
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
