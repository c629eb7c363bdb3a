import { createRequire } from "node:module";
import ocppRpc from "ocpp-rpc";

/** The OCPP-J subprotocol this server speaks. */
export const OCPP_SUBPROTOCOL = "ocpp2.0.1";

export type OcppErrorCode =
  | "FormatViolation"
  | "GenericError"
  | "InternalError"
  | "MessageTypeNotSupported"
  | "NotImplemented"
  | "NotSupported"
  | "OccurrenceConstraintViolation"
  | "PropertyConstraintViolation"
  | "ProtocolError"
  | "RpcFrameworkError"
  | "SecurityError"
  | "TypeConstraintViolation";

export interface SchemaViolation {
  readonly code: OcppErrorCode;
  readonly message: string;
}

export interface OcppSchemaValidator {
  /** Checks `payload` against the official 2.0.1 schema of `action`'s request or response; null when valid. */
  check(action: string, direction: "req" | "conf", payload: unknown): SchemaViolation | null;
}

const requireJson = createRequire(import.meta.url);

/**
 * The OCA's OCPP 2.0.1 JSON schemas as the `ocpp-rpc` package ships them (not copied here), compiled
 * with its ajv validator. Never throws: an unknown action is a NotImplemented violation.
 */
export function officialOcpp201Validator(): OcppSchemaValidator {
  const schemas = requireJson("ocpp-rpc/lib/schemas/ocpp2_0_1.json") as Array<{ $id: string }>;
  const known = new Set(schemas.map((s) => s.$id));
  const validator = ocppRpc.createValidator(OCPP_SUBPROTOCOL, schemas);
  return {
    check(action, direction, payload) {
      const id = `urn:${action}.${direction}`;
      if (!known.has(id))
        return { code: "NotImplemented", message: `no 2.0.1 schema for ${action}.${direction}` };
      try {
        validator.validate(id, payload);
        return null;
      } catch (e) {
        const rpc = e as { rpcErrorCode?: string; message?: string };
        const code = (
          rpc.rpcErrorCode === "OccurenceConstraintViolation"
            ? "OccurrenceConstraintViolation"
            : (rpc.rpcErrorCode ?? "FormatViolation")
        ) as OcppErrorCode;
        return { code, message: `${action}.${direction}: ${rpc.message ?? String(e)}` };
      }
    },
  };
}
