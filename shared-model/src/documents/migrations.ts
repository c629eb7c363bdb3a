import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { CURRENT_SCHEMA_VERSION } from "./documentSchemas.js";

export type DocumentKind = "siteRoot" | "dayJournal" | "ledgerSegment" | "billingDay" | "config";

type Step = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Upgrade steps per kind, by the version they start from. v0 was the prototype: a day journal kept
 * its sessions as a list, and documents had no `schemaVersion`. Steps are pure and run in order.
 */
const steps: Record<DocumentKind, Record<number, Step>> = {
  dayJournal: {
    0: (d) => {
      const list = Array.isArray(d.sessions) ? (d.sessions as Array<Record<string, unknown>>) : [];
      const sessions = Object.fromEntries(list.map((s) => [String(s.sessionId), s]));
      return { ...d, sessions, technicianActions: d.technicianActions ?? [], schemaVersion: 1 };
    },
  },
  siteRoot: { 0: (d) => ({ meterCertificates: {}, operatorKeys: {}, ...d, schemaVersion: 1 }) },
  ledgerSegment: { 0: (d) => ({ ...d, schemaVersion: 1 }) },
  billingDay: { 0: (d) => ({ regions: {}, ...d, schemaVersion: 1 }) },
  config: { 0: (d) => ({ ...d, schemaVersion: 1 }) },
};

/**
 * Returns `doc` upgraded to the current schema version, step by step (a plain value; write it back
 * in a change if the document should be stored upgraded). A version newer than this code knows is
 * refused with `invalid_input`: an old node must not rewrite a newer node's document.
 */
export function migrateDocument(
  kind: DocumentKind,
  doc: Record<string, unknown>,
): Result<Record<string, unknown>> {
  let version = typeof doc.schemaVersion === "number" ? doc.schemaVersion : 0;
  if (version > CURRENT_SCHEMA_VERSION)
    return err(
      new ChargemeshError(
        "invalid_input",
        `${kind} schema version ${version} is newer than this node's ${CURRENT_SCHEMA_VERSION}`,
      ),
    );
  let out = doc;
  while (version < CURRENT_SCHEMA_VERSION) {
    const step = steps[kind][version];
    if (!step)
      return err(new ChargemeshError("invalid_input", `no migration for ${kind} from version ${version}`));
    out = step(out);
    version = out.schemaVersion as number;
  }
  return ok(out);
}
