import { decodeSignedRecord } from "@chargemesh/shared-model";
import type { FinancialLedger } from "./ledger/financialLedger.js";

export interface RevenueViolation {
  readonly sessionId?: string;
  readonly txId?: string;
  readonly message: string;
}

export interface RevenueCheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly checked: number;
  readonly violations: readonly RevenueViolation[];
}

export interface RevenueReport {
  readonly ok: boolean;
  readonly checks: readonly RevenueCheckResult[];
}

const MAX_LISTED = 50;

function result(name: string, checked: number, violations: RevenueViolation[]): RevenueCheckResult {
  return { name, ok: violations.length === 0, checked, violations: violations.slice(0, MAX_LISTED) };
}

/**
 * The revenue invariants over a financial ledger (docs/billing.md): billed Wh equals the signed
 * metered Wh of every invoiced session (the register difference of the signed begin and end records
 * the invoice's current basis rests on, and the sum of its lines); no session has two invoices or two
 * primary payments, and no session collected more than it was billed; every transaction balances and
 * the ledger sums to zero per currency; every hold is resolved or still within its life at `nowMs`.
 * Reads only; a database failure throws.
 */
export async function checkRevenue(ledger: FinancialLedger, nowMs: number): Promise<RevenueReport> {
  const sql = ledger.sql;
  const checks: RevenueCheckResult[] = [];

  const energy: RevenueViolation[] = [];
  let invoices = 0;
  for await (const inv of ledger.invoices()) {
    invoices++;
    const basis = inv.bases.at(-1);
    if (!basis) {
      energy.push({ sessionId: inv.sessionId, message: "invoice without a basis" });
      continue;
    }
    const begin = decodeSignedRecord(basis.beginRecord);
    const end = decodeSignedRecord(basis.endRecord);
    if (!begin.ok || !end.ok) {
      energy.push({
        sessionId: inv.sessionId,
        message: "basis records do not decode as signed meter records",
      });
      continue;
    }
    const b = begin.value.body;
    const e = end.value.body;
    const facts = [
      [b.kind === "begin" && e.kind === "end", `records are ${b.kind}/${e.kind}, not begin/end`],
      [b.sessionId === inv.sessionId && e.sessionId === inv.sessionId, "records belong to another session"],
      [b.meterId === inv.meterId && e.meterId === inv.meterId, "records come from another meter"],
      [
        e.registerWh - b.registerWh === basis.energyWh,
        `billed ${basis.energyWh} Wh, signed records say ${e.registerWh - b.registerWh} Wh`,
      ],
      [
        inv.lines.reduce((s, l) => s + l.energyWh, 0) === basis.energyWh,
        "invoice lines do not add up to the billed energy",
      ],
      [
        inv.lines.reduce((s, l) => s + l.exclVatMinor + l.vatMinor, 0n) === basis.totalMinor,
        "invoice lines do not add up to the invoice total",
      ],
    ] as const;
    for (const [holds, message] of facts) if (!holds) energy.push({ sessionId: inv.sessionId, message });
  }
  checks.push(result("billed energy equals signed metered energy", invoices, energy));

  const dupInvoices = await sql.query(
    "SELECT session_id, COUNT(*) AS n FROM invoices GROUP BY session_id HAVING COUNT(*) > 1",
  );
  const dupPayments = await sql.query(
    "SELECT session_id, COUNT(*) AS n FROM payments WHERE status = 'succeeded' AND purpose IN ('capture', 'charge') GROUP BY session_id HAVING COUNT(*) > 1",
  );
  const over = await sql.query(
    `SELECT p.session_id, SUM(p.amount_minor) AS paid,
       (SELECT b.total_minor FROM invoice_bases b JOIN invoices i ON i.invoice_id = b.invoice_id WHERE i.session_id = p.session_id ORDER BY b.basis_no DESC LIMIT 1) AS billed
     FROM payments p WHERE p.status = 'succeeded' GROUP BY p.session_id`,
  );
  const once: RevenueViolation[] = [
    ...dupInvoices.map((r) => ({ sessionId: String(r.session_id), message: `${r.n} invoices` })),
    ...dupPayments.map((r) => ({
      sessionId: String(r.session_id),
      message: `${r.n} primary payments succeeded`,
    })),
    ...over
      .filter((r) => r.billed === null || BigInt(r.paid as bigint) > BigInt(r.billed as bigint))
      .map((r) => ({
        sessionId: String(r.session_id),
        message: `collected ${r.paid}, billed ${r.billed ?? "nothing"}`,
      })),
  ];
  checks.push(result("one invoice and one capture per session", invoices, once));

  const unbalanced = await sql.query(
    "SELECT tx_id, currency, SUM(amount_minor) AS s FROM fin_entries GROUP BY tx_id, currency HAVING SUM(amount_minor) <> 0",
  );
  const thin = await sql.query(
    "SELECT t.tx_id FROM fin_transactions t WHERE (SELECT COUNT(*) FROM fin_entries e WHERE e.tx_id = t.tx_id) < 2",
  );
  const orphans = await sql.query(
    "SELECT DISTINCT e.tx_id FROM fin_entries e LEFT JOIN fin_transactions t ON t.tx_id = e.tx_id WHERE t.tx_id IS NULL",
  );
  const totals = await sql.query(
    "SELECT currency, SUM(amount_minor) AS s FROM fin_entries GROUP BY currency",
  );
  const txCount = await sql.query("SELECT COUNT(*) AS n FROM fin_transactions");
  const balance: RevenueViolation[] = [
    ...unbalanced.map((r) => ({ txId: String(r.tx_id), message: `${r.currency} entries sum to ${r.s}` })),
    ...thin.map((r) => ({ txId: String(r.tx_id), message: "fewer than two entries" })),
    ...orphans.map((r) => ({ txId: String(r.tx_id), message: "entries without a transaction" })),
    ...totals
      .filter((r) => BigInt(r.s as bigint) !== 0n)
      .map((r) => ({ message: `the ledger sums to ${r.s} ${r.currency}` })),
  ];
  checks.push(
    result("every transaction balances, the ledger sums to zero", Number(txCount[0]!.n as bigint), balance),
  );

  const receivable = await sql.query(
    `SELECT i.session_id, b.total_minor AS billed,
       (SELECT COALESCE(SUM(e.amount_minor), 0) FROM fin_transactions t JOIN fin_entries e ON e.tx_id = t.tx_id
        WHERE t.session_id = i.session_id AND t.kind IN ('invoice', 'adjustment') AND e.account = 'receivable:' || i.account_id) AS posted
     FROM invoices i JOIN invoice_bases b ON b.invoice_id = i.invoice_id
     WHERE b.basis_no = (SELECT MAX(b2.basis_no) FROM invoice_bases b2 WHERE b2.invoice_id = i.invoice_id)`,
  );
  checks.push(
    result(
      "invoice postings equal invoice totals",
      receivable.length,
      receivable
        .filter((r) => BigInt(r.billed as bigint) !== BigInt(r.posted as bigint))
        .map((r) => ({
          sessionId: String(r.session_id),
          message: `invoice total ${r.billed}, posted to receivable ${r.posted}`,
        })),
    ),
  );

  const holds = await ledger.holds();
  const holdViolations: RevenueViolation[] = [];
  for (const h of holds) {
    if (h.status === "authorized" && (h.expiresAtMs === null || h.expiresAtMs <= nowMs)) {
      holdViolations.push({
        sessionId: h.sessionId,
        message: "authorized hold past its life, never resolved",
      });
    }
    if (h.status === "requested" && nowMs - h.requestedAtMs > 7 * 24 * 3600 * 1000) {
      holdViolations.push({
        sessionId: h.sessionId,
        message: "hold request without an outcome for over 7 days",
      });
    }
    if (h.capturedMinor > h.amountMinor)
      holdViolations.push({ sessionId: h.sessionId, message: "captured more than held" });
  }
  const open = await sql.query(
    "SELECT account, SUM(amount_minor) AS s FROM fin_entries WHERE account LIKE 'holds:%' GROUP BY account",
  );
  const authorized = new Map<string, bigint>();
  for (const h of holds)
    if (h.status === "authorized")
      authorized.set(`holds:${h.accountId}`, (authorized.get(`holds:${h.accountId}`) ?? 0n) + h.amountMinor);
  for (const r of open) {
    const expected = authorized.get(String(r.account)) ?? 0n;
    if (BigInt(r.s as bigint) !== expected)
      holdViolations.push({ message: `${r.account} holds ${r.s}, authorized holds sum to ${expected}` });
  }
  checks.push(result("every hold resolved or within its life", holds.length, holdViolations));

  return { ok: checks.every((c) => c.ok), checks };
}
