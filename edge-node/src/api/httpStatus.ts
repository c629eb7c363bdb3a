import type { ErrorCode } from "@chargemesh/shared-model";
import { httpStatusOf } from "@chargemesh/error-mapping";

/** The local API's error codes: the core's (server codes too_large and rate_limited among them). */
export type LocalApiErrorCode = ErrorCode;

/** Error code to HTTP status: the one mapping (`@chargemesh/error-mapping`). */
export const localApiStatusOf: Record<LocalApiErrorCode, number> = httpStatusOf;

/** The error code for a status the framework produced itself (bad framing, oversized body). */
export { codeOfFrameworkStatus } from "@chargemesh/error-mapping";
