import { z } from "zod";
import { configOcpiTariffsSchema } from "../rating/configOcpiTariffs.js";
import { CLOUD_STATES, SITE_STATES, STOP_REASONS } from "./sessionStates.js";
import {
  contractIdSchema,
  meterIdSchema,
  sessionIdSchema,
  siteIdSchema,
  stallIdSchema,
  technicianIdSchema,
} from "./idSchemas.js";

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected bytes");

/**
 * The documents of chargemesh and who writes them (docs/documents.md), the one source of their types.
 * Few, larger documents, each written by one side only: site documents by the site, billing and config
 * documents by the cloud. IDs are typed (branded) on both sides of the document boundary. The
 * validators check what arrives from a peer (the cloud's site ledger view, the site's config reader);
 * they never throw (use `safeParse`).
 */
export const CURRENT_SCHEMA_VERSION = 1;

/** A signed record a journal entry points to: (meter, seq) and the register it carries. */
export const recordRefSchema = z.object({
  meterId: meterIdSchema,
  seq: z.number().int().nonnegative(),
  registerWh: z.number().int().nonnegative(),
});
export type RecordRef = z.infer<typeof recordRefSchema>;

/** OCPP 2.0.1 AuthorizeCertificateStatusEnumType values, plus the account-standing outcomes. */
export const AUTHORIZATION_REASONS = [
  "Accepted",
  "SignatureError",
  "CertificateExpired",
  "CertificateRevoked",
  "NoCertificateAvailable",
  "CertChainError",
  "ContractCancelled",
  "AccountBlocked",
  "RiskCapExceeded",
] as const;
export type AuthorizationReason = (typeof AUTHORIZATION_REASONS)[number];

/** Limits an offline or unknown contract charges under; absent when the session is uncapped. */
export const riskCapsSchema = z.object({
  maxEnergyWh: z.number().int().nonnegative().optional(),
  maxCostMinor: z.number().int().nonnegative().optional(),
});
export type RiskCaps = z.infer<typeof riskCapsSchema>;

/** The site's authorization decision, as the journal keeps it. */
export const authorizationDecisionSchema = z.discriminatedUnion("accepted", [
  z.object({
    accepted: z.literal(true),
    reason: z.literal("Accepted"),
    contractId: contractIdSchema,
    caps: riskCapsSchema,
    mode: z.enum(["online", "offline"]),
    proofOfPossession: z.enum(["site", "charger-secc"]).optional(),
  }),
  z.object({
    accepted: z.literal(false),
    reason: z.enum(AUTHORIZATION_REASONS).exclude(["Accepted"]),
    contractId: contractIdSchema.nullable(),
    detail: z.string(),
  }),
]);
export type AuthorizationDecision = z.infer<typeof authorizationDecisionSchema>;

/** What the site knows about one session: the facts it writes into its day journal. */
export const journalEntrySchema = z.object({
  sessionId: sessionIdSchema,
  stallId: stallIdSchema,
  meterId: meterIdSchema,
  startedAtMs: z.number().int(),
  state: z.enum(SITE_STATES),
  contractId: contractIdSchema.nullable(),
  authorization: authorizationDecisionSchema.nullable(),
  begin: recordRefSchema.nullable(),
  end: recordRefSchema.nullable(),
  endedAtMs: z.number().int().nullable(),
  stopReason: z.enum(STOP_REASONS).nullable(),
  stoppedBy: technicianIdSchema.nullable(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const technicianActionSchema = z.object({
  at: z.number().int(),
  technicianId: technicianIdSchema,
  action: z.enum(["stop_session", "out_of_service", "return_to_service", "site_limit", "restart_charger"]),
  stallId: stallIdSchema,
  sessionId: sessionIdSchema.nullable(),
  note: z.string(),
});
export type TechnicianAction = z.infer<typeof technicianActionSchema>;

/** Day journal (site-written): the sessions that started that UTC day, and technician actions. */
export const dayJournalSchema = z.object({
  schemaVersion: z.literal(1),
  siteId: siteIdSchema,
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  sessions: z.record(journalEntrySchema),
  technicianActions: z.array(technicianActionSchema),
});
export type DayJournal = z.infer<typeof dayJournalSchema>;

/** Ledger segment (site-written): one meter's signed records of one day, binary values keyed `meter/seq`. */
export const ledgerSegmentSchema = z.object({
  schemaVersion: z.literal(1),
  meterId: meterIdSchema,
  day: z.string(),
  records: z.record(bytes),
});
export type LedgerSegment = z.infer<typeof ledgerSegmentSchema>;

/** Site root (site-written): the index of the site's documents and its meter certificates. */
export const siteRootSchema = z.object({
  schemaVersion: z.literal(1),
  siteId: siteIdSchema,
  /** Day journal URL by UTC day `YYYY-MM-DD`. */
  journals: z.record(z.string()),
  /** Ledger segment URL by `meterId/YYYY-MM-DD`. */
  segments: z.record(z.string()),
  /** Operator-signed meter key certificates by meter ID, one per key epoch. */
  meterCertificates: z.record(z.array(bytes)),
  /** Operator public keys by key ID (what the certificates are checked against). */
  operatorKeys: z.record(bytes),
  /** Documents the site archived after the cloud acknowledged them, under their former key (`journals/<day>`, `segments/<meter>/<day>`). */
  archived: z.record(z.string()).optional(),
});
export type SiteRoot = z.infer<typeof siteRootSchema>;

const cloudState = z.enum(CLOUD_STATES);
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
  siteId: siteIdSchema,
  day: z.string(),
  regions: z.record(z.object({ sessions: z.record(billingFactSchema) })),
});
export type BillingDay = z.infer<typeof billingDaySchema>;

/** Config document (cloud-written, read by sites): versioned; a site keeps the highest version it holds. */
export const configDocumentSchema = z.object({
  schemaVersion: z.literal(1),
  version: z.number().int().nonnegative(),
  issuedAtMs: z.number().int(),
  tariffs: z.array(
    z.object({
      id: z.string(),
      energyMinorPerKWh: z.number().int().nonnegative(),
      sessionFeeMinor: z.number().int().nonnegative(),
      currency: z.string().length(3),
      validFromMs: z.number().int(),
    }),
  ),
  /**
   * The OCPI 2.2.1 tariff (or its versions) the site's sessions are billed on, as JSON text so prices
   * stay exact, with its IANA time zone: live costs are rated on it (docs/rating.md). Optional.
   */
  ocpiTariffs: configOcpiTariffsSchema.optional(),
  trustAnchors: z.array(bytes),
  revocationList: z
    .object({ signed: bytes, issuedAtMs: z.number().int(), nextUpdateMs: z.number().int() })
    .nullable(),
  accountStanding: z.record(z.object({ standing: z.enum(["good", "blocked"]), version: z.number().int() })),
  offlinePolicy: z.object({
    unknownContractMaxEnergyWh: z.number().int().nonnegative(),
    unknownContractMaxSessionsPerDay: z.number().int().nonnegative(),
  }),
  siteLimits: z.record(z.object({ gridLimitW: z.number().int().positive() })),
  /** The site's documents this cloud peer holds durably, by document ID, at these heads: the site may archive them. */
  acknowledged: z.record(z.array(z.string())).optional(),
});
export type ConfigDocument = z.infer<typeof configDocumentSchema>;
