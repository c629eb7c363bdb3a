/**
 * The document repair exchange between a site and its cloud peer, as ephemeral messages on the site's
 * root document (CBOR, automerge-repo's ephemeral channel). The site asks for one of its own documents
 * by ID; the cloud answers that site's authenticated peer only, with its copy's `A.save` bytes or why not.
 * cloud-peer keeps the same shapes (sync/documentRepairServer.ts); edge and cloud share no code.
 */
export const REPAIR_REQUEST = "chargemesh/document-repair-request";
export const REPAIR_COPY = "chargemesh/document-repair-copy";
export const REPAIR_UNAVAILABLE = "chargemesh/document-repair-unavailable";

export interface RepairRequest {
  readonly kind: typeof REPAIR_REQUEST;
  readonly documentId: string;
  readonly requestId: string;
}

export type RepairAnswer =
  | {
      readonly kind: typeof REPAIR_COPY;
      readonly documentId: string;
      readonly requestId: string;
      readonly bytes: Uint8Array;
    }
  | {
      readonly kind: typeof REPAIR_UNAVAILABLE;
      readonly documentId: string;
      readonly requestId: string;
      readonly reason: string;
    };

/** The answer in an ephemeral message body, or null when it is none (live figures, garbage). Never throws. */
export function parseRepairAnswer(body: unknown): RepairAnswer | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.documentId !== "string" || typeof b.requestId !== "string") return null;
  if (b.kind === REPAIR_COPY && b.bytes instanceof Uint8Array)
    return { kind: REPAIR_COPY, documentId: b.documentId, requestId: b.requestId, bytes: b.bytes };
  if (b.kind === REPAIR_UNAVAILABLE && typeof b.reason === "string")
    return {
      kind: REPAIR_UNAVAILABLE,
      documentId: b.documentId,
      requestId: b.requestId,
      reason: b.reason.slice(0, 500),
    };
  return null;
}
