import { ChargemeshError, cryptoRandom } from "@chargemesh/shared-model";
import type { RandomSource } from "@chargemesh/shared-model";
import type { AccountId, CardNetwork } from "../billingTypes.js";
import type {
  AttemptInput,
  FinancialLedger,
  HoldChange,
  HoldInput,
  HoldStatus,
  InvoiceBasisInput,
  InvoiceInput,
  OutboxItem,
  PaymentChange,
  PaymentInput,
  PaymentStatus,
  Standing,
  StoredHold,
  StoredInvoice,
  StoredOutboxItem,
  StoredPayment,
  StoredTransaction,
  TransactionInput,
  TrialBalanceRow,
} from "./financialLedger.js";
import type { LedgerAccount } from "./ledgerAccounts.js";
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from "./sqlDatabase.js";

const num = (v: SqlValue): number => Number(v as bigint);
const big = (v: SqlValue): bigint => BigInt(v as bigint);
const str = (v: SqlValue): string => v as string;
const optStr = (v: SqlValue): string | null => (v === null ? null : (v as string));
const optNum = (v: SqlValue): number | null => (v === null ? null : Number(v as bigint));

function isConflict(e: unknown): boolean {
  return e instanceof ChargemeshError && e.code === "conflict";
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function holdFrom(r: SqlRow): StoredHold {
  return {
    sessionId: str(r.session_id!),
    accountId: str(r.account_id!) as AccountId,
    idempotencyKey: str(r.idempotency_key!),
    currency: str(r.currency!),
    amountMinor: big(r.amount_minor!),
    initiatedBy: str(r.initiated_by!) as StoredHold["initiatedBy"],
    requestedAtMs: num(r.requested_at_ms!),
    status: str(r.status!) as HoldStatus,
    providerRef: optStr(r.provider_ref!),
    capturedMinor: big(r.captured_minor!),
    expiresAtMs: optNum(r.expires_at_ms!),
  };
}

function paymentFrom(r: SqlRow): StoredPayment {
  return {
    paymentKey: str(r.payment_key!),
    sessionId: str(r.session_id!),
    accountId: str(r.account_id!) as AccountId,
    purpose: str(r.purpose!) as StoredPayment["purpose"],
    amountMinor: big(r.amount_minor!),
    currency: str(r.currency!),
    paymentMethod: str(r.payment_method!),
    network: str(r.network!) as CardNetwork,
    initiatedBy: str(r.initiated_by!) as StoredPayment["initiatedBy"],
    createdAtMs: num(r.created_at_ms!),
    status: str(r.status!) as PaymentStatus,
    attemptNo: num(r.attempt_no!),
    inDebt: num(r.in_debt!) === 1,
    nextAttemptAtMs: num(r.next_attempt_at_ms!),
    lastCode: optStr(r.last_code!),
    providerRef: optStr(r.provider_ref!),
  };
}

/**
 * The financial ledger over any `SqlDatabase` (SQLite or PostgreSQL adapter; the schema of each
 * enforces the invariants). See `FinancialLedger` for what every method promises.
 */
export class SqlFinancialLedger implements FinancialLedger {
  readonly dialect: "sqlite" | "postgres";

  constructor(
    readonly sql: SqlDatabase,
    private readonly random: RandomSource = cryptoRandom,
  ) {
    this.dialect = sql.dialect;
  }

  private newId(prefix: string): string {
    return `${prefix}_${hex(this.random.bytes(12))}`;
  }

  /** Inserts entries then the header (the header's trigger checks the balance). Returns the tx ID. */
  private async insertTransaction(
    db: SqlExecutor,
    tx: TransactionInput,
    reverses: string | null = null,
  ): Promise<string> {
    if (tx.entries.length < 2)
      throw new ChargemeshError("invalid_input", "a transaction needs at least two entries");
    for (const e of tx.entries) {
      if (typeof e.amountMinor !== "bigint" || e.amountMinor === 0n) {
        throw new ChargemeshError("invalid_input", `entry on ${e.account}: amount must be a non-zero bigint`);
      }
    }
    const txId = this.newId("tx");
    let lineNo = 0;
    for (const e of tx.entries) {
      await db.execute(
        "INSERT INTO fin_entries (tx_id, line_no, account, currency, amount_minor) VALUES (?, ?, ?, ?, ?)",
        [txId, lineNo++, e.account, tx.currency, e.amountMinor],
      );
    }
    await db.execute(
      "INSERT INTO fin_transactions (tx_id, kind, external_ref, session_id, account_id, reverses_tx_id, memo, posted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [txId, tx.kind, tx.externalRef, tx.sessionId, tx.accountId, reverses, tx.memo, tx.postedAtMs],
    );
    return txId;
  }

  /** Posts inside an open transaction, skipping a posting whose external ref exists. */
  private async postIn(db: SqlExecutor, tx: TransactionInput): Promise<{ created: boolean; txId: string }> {
    if (tx.externalRef !== null) {
      const rows = await db.query("SELECT tx_id FROM fin_transactions WHERE external_ref = ?", [
        tx.externalRef,
      ]);
      if (rows[0]) return { created: false, txId: str(rows[0].tx_id!) };
    }
    return { created: true, txId: await this.insertTransaction(db, tx) };
  }

  async post(tx: TransactionInput): Promise<{ created: boolean; txId: string }> {
    try {
      return await this.sql.transaction((db) => this.postIn(db, tx));
    } catch (e) {
      if (!isConflict(e) || tx.externalRef === null) throw e;
      const existing = await this.transactionByRef(tx.externalRef);
      if (!existing) throw e;
      return { created: false, txId: existing.txId };
    }
  }

  async reverse(txId: string, atMs: number, memo: string): Promise<{ created: boolean; txId: string }> {
    const original = await this.transaction(txId);
    if (!original) throw new ChargemeshError("not_found", `no transaction ${txId}`);
    const existing = await this.sql.query("SELECT tx_id FROM fin_transactions WHERE reverses_tx_id = ?", [
      txId,
    ]);
    if (existing[0]) return { created: false, txId: str(existing[0].tx_id!) };
    const byCurrency = new Map<string, typeof original.entries>();
    for (const e of original.entries) byCurrency.set(e.currency, [...(byCurrency.get(e.currency) ?? []), e]);
    if (byCurrency.size !== 1)
      throw new ChargemeshError("invalid_input", "only single-currency transactions are reversed");
    const reversal: TransactionInput = {
      kind: "reversal",
      externalRef: null,
      sessionId: original.sessionId,
      accountId: original.accountId as AccountId | null,
      currency: original.entries[0]!.currency,
      memo,
      postedAtMs: atMs,
      entries: original.entries.map((e) => ({
        account: e.account as LedgerAccount,
        amountMinor: -e.amountMinor,
      })),
    };
    try {
      return {
        created: true,
        txId: await this.sql.transaction((db) => this.insertTransaction(db, reversal, txId)),
      };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const again = await this.sql.query("SELECT tx_id FROM fin_transactions WHERE reverses_tx_id = ?", [
        txId,
      ]);
      return { created: false, txId: str(again[0]!.tx_id!) };
    }
  }

  private async loadTransaction(where: string, param: string): Promise<StoredTransaction | null> {
    const rows = await this.sql.query(`SELECT * FROM fin_transactions WHERE ${where} = ?`, [param]);
    const h = rows[0];
    if (!h) return null;
    const entries = await this.sql.query(
      "SELECT account, currency, amount_minor FROM fin_entries WHERE tx_id = ? ORDER BY line_no",
      [str(h.tx_id!)],
    );
    return {
      txId: str(h.tx_id!),
      kind: str(h.kind!),
      externalRef: optStr(h.external_ref!),
      sessionId: optStr(h.session_id!),
      accountId: optStr(h.account_id!),
      reversesTxId: optStr(h.reverses_tx_id!),
      memo: str(h.memo!),
      postedAtMs: num(h.posted_at_ms!),
      entries: entries.map((e) => ({
        account: str(e.account!),
        currency: str(e.currency!),
        amountMinor: big(e.amount_minor!),
      })),
    };
  }

  transaction(txId: string): Promise<StoredTransaction | null> {
    return this.loadTransaction("tx_id", txId);
  }

  transactionByRef(externalRef: string): Promise<StoredTransaction | null> {
    return this.loadTransaction("external_ref", externalRef);
  }

  async balance(account: LedgerAccount, currency: string): Promise<bigint> {
    const rows = await this.sql.query(
      "SELECT COALESCE(SUM(amount_minor), 0) AS b FROM fin_entries WHERE account = ? AND currency = ?",
      [account, currency],
    );
    return big(rows[0]!.b!);
  }

  async trialBalance(): Promise<TrialBalanceRow[]> {
    const rows = await this.sql.query(
      "SELECT account, currency, SUM(amount_minor) AS b FROM fin_entries GROUP BY account, currency ORDER BY account, currency",
    );
    return rows.map((r) => ({
      account: str(r.account!),
      currency: str(r.currency!),
      balanceMinor: big(r.b!),
    }));
  }

  private async insertBasis(
    db: SqlExecutor,
    invoiceId: string,
    basisNo: number,
    basis: InvoiceBasisInput,
  ): Promise<void> {
    const posted = basis.posting ? await this.postIn(db, basis.posting) : { created: true, txId: null };
    if (!posted.created)
      throw new ChargemeshError("conflict", `posting ${basis.posting?.externalRef} exists`);
    await db.execute(
      "INSERT INTO invoice_bases (invoice_id, basis_no, basis_key, begin_record, end_record, energy_wh, total_minor, tx_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [
        invoiceId,
        basisNo,
        basis.basisKey,
        basis.beginRecord,
        basis.endRecord,
        basis.energyWh,
        basis.totalMinor,
        posted.txId,
      ],
    );
    let lineNo = 0;
    for (const l of basis.lines) {
      await db.execute(
        "INSERT INTO invoice_lines (invoice_id, basis_no, line_no, kind, description, energy_wh, excl_vat_minor, vat_minor, source_records) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
          invoiceId,
          basisNo,
          lineNo++,
          l.kind,
          l.description,
          l.energyWh,
          l.exclVatMinor,
          l.vatMinor,
          l.sourceRecords.join(" "),
        ],
      );
    }
  }

  async createInvoice(input: InvoiceInput): Promise<{ created: boolean; invoice: StoredInvoice }> {
    const invoiceId = this.newId("inv");
    try {
      await this.sql.transaction(async (db) => {
        const exists = await db.query("SELECT 1 AS x FROM invoices WHERE session_id = ?", [input.sessionId]);
        if (exists.length > 0)
          throw new ChargemeshError("conflict", `session ${input.sessionId} is invoiced`);
        await db.execute(
          "INSERT INTO invoices (invoice_id, session_id, account_id, contract_id, site_id, stall_id, meter_id, currency, tariff_id, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          [
            invoiceId,
            input.sessionId,
            input.accountId,
            input.contractId,
            input.siteId,
            input.stallId,
            input.meterId,
            input.currency,
            input.tariffId,
            input.createdAtMs,
          ],
        );
        await this.insertBasis(db, invoiceId, 0, input.basis);
      });
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.invoiceForSession(input.sessionId);
      if (!existing) throw e;
      return { created: false, invoice: existing };
    }
    return { created: true, invoice: (await this.invoiceForSession(input.sessionId))! };
  }

  async addInvoiceBasis(invoiceId: string, basis: InvoiceBasisInput): Promise<{ created: boolean }> {
    try {
      await this.sql.transaction(async (db) => {
        const known = await db.query(
          "SELECT 1 AS x FROM invoice_bases WHERE invoice_id = ? AND basis_key = ?",
          [invoiceId, basis.basisKey],
        );
        if (known.length > 0) throw new ChargemeshError("conflict", "basis exists");
        const next = await db.query(
          "SELECT COALESCE(MAX(basis_no), -1) + 1 AS n FROM invoice_bases WHERE invoice_id = ?",
          [invoiceId],
        );
        await this.insertBasis(db, invoiceId, num(next[0]!.n!), basis);
      });
      return { created: true };
    } catch (e) {
      if (isConflict(e)) return { created: false };
      throw e;
    }
  }

  private async invoiceFrom(h: SqlRow): Promise<StoredInvoice> {
    const invoiceId = str(h.invoice_id!);
    const bases = await this.sql.query("SELECT * FROM invoice_bases WHERE invoice_id = ? ORDER BY basis_no", [
      invoiceId,
    ]);
    const lines = await this.sql.query(
      "SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY basis_no, line_no",
      [invoiceId],
    );
    return {
      invoiceId,
      sessionId: str(h.session_id!),
      accountId: str(h.account_id!) as AccountId,
      contractId: str(h.contract_id!),
      siteId: str(h.site_id!),
      stallId: str(h.stall_id!),
      meterId: str(h.meter_id!),
      currency: str(h.currency!),
      tariffId: str(h.tariff_id!),
      createdAtMs: num(h.created_at_ms!),
      bases: bases.map((b) => ({
        basisNo: num(b.basis_no!),
        basisKey: str(b.basis_key!),
        beginRecord: b.begin_record as Uint8Array,
        endRecord: b.end_record as Uint8Array,
        energyWh: num(b.energy_wh!),
        totalMinor: big(b.total_minor!),
        txId: optStr(b.tx_id!),
      })),
      lines: lines.map((l) => ({
        basisNo: num(l.basis_no!),
        lineNo: num(l.line_no!),
        kind: str(l.kind!),
        description: str(l.description!),
        energyWh: num(l.energy_wh!),
        exclVatMinor: big(l.excl_vat_minor!),
        vatMinor: big(l.vat_minor!),
        sourceRecords: str(l.source_records!).split(" ").filter(Boolean),
      })),
    };
  }

  async invoiceForSession(sessionId: string): Promise<StoredInvoice | null> {
    const rows = await this.sql.query("SELECT * FROM invoices WHERE session_id = ?", [sessionId]);
    return rows[0] ? this.invoiceFrom(rows[0]) : null;
  }

  async *invoices(): AsyncIterable<StoredInvoice> {
    let after = "";
    for (;;) {
      const page = await this.sql.query(
        "SELECT * FROM invoices WHERE session_id > ? ORDER BY session_id LIMIT 200",
        [after],
      );
      for (const row of page) yield await this.invoiceFrom(row);
      if (page.length < 200) return;
      after = str(page.at(-1)!.session_id!);
    }
  }

  async openHold(input: HoldInput): Promise<{ created: boolean; hold: StoredHold }> {
    if (input.amountMinor <= 0n) throw new ChargemeshError("invalid_input", "a hold must be positive");
    try {
      await this.sql.execute(
        "INSERT INTO holds (session_id, account_id, idempotency_key, currency, amount_minor, initiated_by, status, requested_at_ms) VALUES (?, ?, ?, ?, ?, ?, 'requested', ?)",
        [
          input.sessionId,
          input.accountId,
          input.idempotencyKey,
          input.currency,
          input.amountMinor,
          input.initiatedBy,
          input.requestedAtMs,
        ],
      );
      return { created: true, hold: (await this.hold(input.sessionId))! };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.hold(input.sessionId);
      if (!existing) throw e;
      return { created: false, hold: existing };
    }
  }

  private async changeHoldIn(
    db: SqlExecutor,
    sessionId: string,
    from: HoldStatus,
    change: HoldChange,
  ): Promise<boolean> {
    const sets = ["status = ?"];
    const params: SqlValue[] = [change.status];
    if (change.providerRef !== undefined) (sets.push("provider_ref = ?"), params.push(change.providerRef));
    if (change.capturedMinor !== undefined)
      (sets.push("captured_minor = ?"), params.push(change.capturedMinor));
    if (change.expiresAtMs !== undefined) (sets.push("expires_at_ms = ?"), params.push(change.expiresAtMs));
    const n = await db.execute(`UPDATE holds SET ${sets.join(", ")} WHERE session_id = ? AND status = ?`, [
      ...params,
      sessionId,
      from,
    ]);
    if (n === 0) return false;
    if (change.posting) await this.postIn(db, change.posting);
    return true;
  }

  async changeHold(sessionId: string, from: HoldStatus, change: HoldChange): Promise<boolean> {
    try {
      return await this.sql.transaction((db) => this.changeHoldIn(db, sessionId, from, change));
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async hold(sessionId: string): Promise<StoredHold | null> {
    const rows = await this.sql.query("SELECT * FROM holds WHERE session_id = ?", [sessionId]);
    return rows[0] ? holdFrom(rows[0]) : null;
  }

  async holds(): Promise<StoredHold[]> {
    return (await this.sql.query("SELECT * FROM holds ORDER BY session_id")).map(holdFrom);
  }

  async openPayment(input: PaymentInput): Promise<{ created: boolean; payment: StoredPayment }> {
    if (input.amountMinor <= 0n) throw new ChargemeshError("invalid_input", "a payment must be positive");
    try {
      await this.sql.execute(
        "INSERT INTO payments (payment_key, session_id, account_id, purpose, amount_minor, currency, payment_method, network, initiated_by, status, next_attempt_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        [
          input.paymentKey,
          input.sessionId,
          input.accountId,
          input.purpose,
          input.amountMinor,
          input.currency,
          input.paymentMethod,
          input.network,
          input.initiatedBy,
          input.createdAtMs,
          input.createdAtMs,
        ],
      );
      return { created: true, payment: (await this.payment(input.paymentKey))! };
    } catch (e) {
      if (!isConflict(e)) throw e;
      const existing = await this.payment(input.paymentKey);
      if (!existing) throw e;
      return { created: false, payment: existing };
    }
  }

  async changePayment(
    paymentKey: string,
    fromStatus: PaymentStatus,
    fromAttempt: number,
    change: PaymentChange,
  ): Promise<boolean> {
    const sets = ["status = ?"];
    const params: SqlValue[] = [change.status];
    const optional: [string, SqlValue | undefined][] = [
      ["attempt_no", change.attemptNo],
      ["in_debt", change.inDebt === undefined ? undefined : change.inDebt ? 1 : 0],
      ["next_attempt_at_ms", change.nextAttemptAtMs],
      ["last_code", change.lastCode],
      ["provider_ref", change.providerRef],
      ["payment_method", change.paymentMethod],
      ["initiated_by", change.initiatedBy],
    ];
    for (const [column, value] of optional)
      if (value !== undefined) (sets.push(`${column} = ?`), params.push(value));
    try {
      return await this.sql.transaction(async (db) => {
        const n = await db.execute(
          `UPDATE payments SET ${sets.join(", ")} WHERE payment_key = ? AND status = ? AND attempt_no = ?`,
          [...params, paymentKey, fromStatus, fromAttempt],
        );
        if (n === 0) return false;
        for (const p of change.postings ?? []) await this.postIn(db, p);
        if (change.hold) {
          const current = await db.query("SELECT status FROM holds WHERE session_id = ?", [
            change.hold.sessionId,
          ]);
          if (current[0] && str(current[0].status!) === "authorized") {
            await this.changeHoldIn(db, change.hold.sessionId, "authorized", change.hold.change);
          }
        }
        return true;
      });
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async payment(paymentKey: string): Promise<StoredPayment | null> {
    const rows = await this.sql.query("SELECT * FROM payments WHERE payment_key = ?", [paymentKey]);
    return rows[0] ? paymentFrom(rows[0]) : null;
  }

  async paymentsOfSession(sessionId: string): Promise<StoredPayment[]> {
    return (
      await this.sql.query("SELECT * FROM payments WHERE session_id = ? ORDER BY payment_key", [sessionId])
    ).map(paymentFrom);
  }

  async duePayments(nowMs: number, limit: number): Promise<StoredPayment[]> {
    const rows = await this.sql.query(
      "SELECT * FROM payments WHERE status = 'pending' AND next_attempt_at_ms <= ? ORDER BY next_attempt_at_ms, payment_key LIMIT ?",
      [nowMs, limit],
    );
    return rows.map(paymentFrom);
  }

  async contractsOfAccount(accountId: AccountId): Promise<string[]> {
    const rows = await this.sql.query(
      "SELECT DISTINCT contract_id FROM invoices WHERE account_id = ? ORDER BY contract_id",
      [accountId],
    );
    return rows.map((r) => str(r.contract_id!));
  }

  async openPaymentsOfAccount(accountId: AccountId): Promise<StoredPayment[]> {
    const rows = await this.sql.query(
      "SELECT * FROM payments WHERE account_id = ? AND status IN ('pending', 'declined') ORDER BY payment_key",
      [accountId],
    );
    return rows.map(paymentFrom);
  }

  async recordAttempt(a: AttemptInput): Promise<void> {
    // Two peers may record a try of the same key at once: the primary key decides, the loser takes the next number.
    for (let tries = 0; ; tries++) {
      try {
        return await this.insertAttempt(a);
      } catch (e) {
        if (!isConflict(e) || tries >= 5) throw e;
      }
    }
  }

  private async insertAttempt(a: AttemptInput): Promise<void> {
    await this.sql.transaction(async (db) => {
      const n = await db.query("SELECT COUNT(*) AS n FROM payment_attempts WHERE idempotency_key = ?", [
        a.idempotencyKey,
      ]);
      await db.execute(
        "INSERT INTO payment_attempts (idempotency_key, try_no, payment_key, payment_method, outcome, code, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [a.idempotencyKey, num(n[0]!.n!), a.paymentKey, a.paymentMethod, a.outcome, a.code, a.atMs],
      );
    });
  }

  async declinedAttemptsOnCard(paymentMethod: string, sinceMs: number): Promise<number> {
    const rows = await this.sql.query(
      "SELECT COUNT(DISTINCT idempotency_key) AS n FROM payment_attempts WHERE payment_method = ? AND outcome = 'declined' AND at_ms >= ?",
      [paymentMethod, sinceMs],
    );
    return num(rows[0]!.n!);
  }

  async standing(accountId: AccountId): Promise<{ standing: Standing; version: number }> {
    const rows = await this.sql.query("SELECT standing, version FROM account_standing WHERE account_id = ?", [
      accountId,
    ]);
    return rows[0]
      ? { standing: str(rows[0].standing!) as Standing, version: num(rows[0].version!) }
      : { standing: "good", version: 0 };
  }

  async setStanding(
    accountId: AccountId,
    standing: Standing,
    atMs: number,
    payload: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      return await this.sql.transaction(async (db) => {
        const rows = await db.query("SELECT standing, version FROM account_standing WHERE account_id = ?", [
          accountId,
        ]);
        const current = rows[0] ? (str(rows[0].standing!) as Standing) : "good";
        const version = rows[0] ? num(rows[0].version!) : 0;
        if (current === standing) return false;
        const n = rows[0]
          ? await db.execute(
              "UPDATE account_standing SET standing = ?, version = ?, changed_at_ms = ? WHERE account_id = ? AND version = ?",
              [standing, version + 1, atMs, accountId, version],
            )
          : await db.execute(
              "INSERT INTO account_standing (account_id, standing, version, changed_at_ms) VALUES (?, ?, 1, ?)",
              [accountId, standing, atMs],
            );
        if (n === 0) return false;
        await db.execute(
          "INSERT INTO outbox (dedupe_key, kind, account_id, payload, created_at_ms) VALUES (?, 'standing', ?, ?, ?)",
          [
            `standing:${accountId}:${version + 1}`,
            accountId,
            JSON.stringify({ ...payload, standing, version: version + 1 }),
            atMs,
          ],
        );
        return true;
      });
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async enqueue(item: OutboxItem): Promise<boolean> {
    try {
      await this.sql.execute(
        "INSERT INTO outbox (dedupe_key, kind, account_id, payload, created_at_ms) VALUES (?, ?, ?, ?, ?)",
        [item.dedupeKey, item.kind, item.accountId, JSON.stringify(item.payload), item.createdAtMs],
      );
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async pendingOutbox(limit: number): Promise<StoredOutboxItem[]> {
    const rows = await this.sql.query(
      "SELECT * FROM outbox WHERE delivered_at_ms IS NULL ORDER BY created_at_ms, dedupe_key LIMIT ?",
      [limit],
    );
    return rows.map((r) => ({
      dedupeKey: str(r.dedupe_key!),
      kind: str(r.kind!) as StoredOutboxItem["kind"],
      accountId: str(r.account_id!) as AccountId,
      payload: JSON.parse(str(r.payload!)) as Record<string, unknown>,
      createdAtMs: num(r.created_at_ms!),
      deliveredAtMs: optNum(r.delivered_at_ms!),
    }));
  }

  async markDelivered(dedupeKey: string, atMs: number): Promise<void> {
    await this.sql.execute(
      "UPDATE outbox SET delivered_at_ms = ? WHERE dedupe_key = ? AND delivered_at_ms IS NULL",
      [atMs, dedupeKey],
    );
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
