import { z } from "zod";

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected bytes");

/**
 * The documents of chargemesh and who writes them (docs/documents.md). Few, larger documents, each
 * written by one side only: site documents by the site, billing and config documents by the cloud.
 * Validators check what arrives from a peer; they never throw (use `safeParse`).
 */
export const CURRENT_SCHEMA_VERSION = 1;

const recordRef = z.object({ meterId: z.string(), seq: z.number().int().nonnegative(), registerWh: z.number().int().nonnegative() });
const siteState = z.enum(["authorizing", "charging", "stopping", "completed", "rejected", "failed"]);

export const journalEntrySchema = z.object({
  sessionId: z.string(),
  stallId: z.string(),
  meterId: z.string(),
  startedAtMs: z.number().int(),
  state: siteState,
  contractId: z.string().nullable(),
  authorization: z
    .object({ accepted: z.boolean(), reason: z.string(), mode: z.string().optional(), detail: z.string().optional(), caps: z.record(z.number()).optional() })
    .passthrough()
    .nullable(),
  begin: recordRef.nullable(),
  end: recordRef.nullable(),
  endedAtMs: z.number().int().nullable(),
  stopReason: z.string().nullable(),
  stoppedBy: z.string().nullable(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const technicianActionSchema = z.object({
  at: z.number().int(),
  technicianId: z.string(),
  action: z.enum(["stop_session", "out_of_service", "return_to_service"]),
  stallId: z.string(),
  sessionId: z.string().nullable(),
  note: z.string(),
});

/** Day journal (site-written): the sessions that started that UTC day, and technician actions. */
export const dayJournalSchema = z.object({
  schemaVersion: z.literal(1),
  siteId: z.string(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  sessions: z.record(journalEntrySchema),
  technicianActions: z.array(technicianActionSchema),
});
export type DayJournal = z.infer<typeof dayJournalSchema>;

/** Ledger segment (site-written): one meter's signed records of one day, binary values keyed `meter/seq`. */
export const ledgerSegmentSchema = z.object({
  schemaVersion: z.literal(1),
  meterId: z.string(),
  day: z.string(),
  records: z.record(bytes),
});
export type LedgerSegment = z.infer<typeof ledgerSegmentSchema>;

/** Site root (site-written): the index of the site's documents and its meter certificates. */
export const siteRootSchema = z.object({
  schemaVersion: z.literal(1),
  siteId: z.string(),
  journals: z.record(z.string()),
  segments: z.record(z.string()),
  meterCertificates: z.record(z.array(bytes)),
  operatorKeys: z.record(bytes),
  /** Documents the site archived after the cloud acknowledged them, under their former key (`journals/<day>`, `segments/<meter>/<day>`). */
  archived: z.record(z.string()).optional(),
});
export type SiteRoot = z.infer<typeof siteRootSchema>;

const cloudState = z.enum(["acknowledged", "rated", "invoiced", "payment_pending", "payment_retrying", "paid", "declined", "written_off"]);
/** What one cloud region wrote about one session. */
export const billingFactSchema = z.object({
  state: cloudState,
  invoiceRef: z.string().nullable(),
  amountMinor: z.number().int().nullable(),
  atMs: z.number().int(),
});
export type BillingFact = z.infer<typeof billingFactSchema>;

/**
 * Billing day (cloud-written, several regions at once): each region writes only under its own key,
 * `regions[region].sessions[sessionId]`; readers join the regions' facts with the lattice.
 */
export const billingDaySchema = z.object({
  schemaVersion: z.literal(1),
  siteId: z.string(),
  day: z.string(),
  regions: z.record(z.object({ sessions: z.record(billingFactSchema) })),
});
export type BillingDay = z.infer<typeof billingDaySchema>;

/** Config document (cloud-written, read by sites): versioned; a site keeps the highest version it holds. */
export const configDocumentSchema = z.object({
  schemaVersion: z.literal(1),
  version: z.number().int().nonnegative(),
  issuedAtMs: z.number().int(),
  tariffs: z.array(z.object({ id: z.string(), energyMinorPerKWh: z.number().int().nonnegative(), sessionFeeMinor: z.number().int().nonnegative(), currency: z.string().length(3), validFromMs: z.number().int() })),
  trustAnchors: z.array(bytes),
  revocationList: z.object({ signed: bytes, issuedAtMs: z.number().int(), nextUpdateMs: z.number().int() }).nullable(),
  accountStanding: z.record(z.object({ standing: z.enum(["good", "blocked"]), version: z.number().int() })),
  offlinePolicy: z.object({ unknownContractMaxEnergyWh: z.number().int().nonnegative(), unknownContractMaxSessionsPerDay: z.number().int().nonnegative() }),
  siteLimits: z.record(z.object({ gridLimitW: z.number().int().positive() })),
  /** The site's documents this cloud peer holds durably, by document ID, at these heads: the site may archive them. */
  acknowledged: z.record(z.array(z.string())).optional(),
});
export type ConfigDocument = z.infer<typeof configDocumentSchema>;
