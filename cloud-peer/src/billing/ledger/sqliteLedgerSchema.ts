/**
 * The financial ledger's schema on SQLite. The database enforces the invariants (docs/billing.md):
 * a transaction's header can only be inserted after its entries and only if they balance per currency;
 * no entry is added to a sealed transaction; entries, transactions, invoices and their lines are never
 * updated or deleted; one invoice per session; a hold never captures more than it holds.
 */
const immutable = (table: string) => `
CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, 'ledger: ${table} rows are immutable'); END;
CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, 'ledger: ${table} rows are immutable'); END;`;

export const SQLITE_LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS fin_entries (
  tx_id TEXT NOT NULL REFERENCES fin_transactions(tx_id) DEFERRABLE INITIALLY DEFERRED,
  line_no INTEGER NOT NULL,
  account TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  PRIMARY KEY (tx_id, line_no)
);
CREATE INDEX IF NOT EXISTS fin_entries_account ON fin_entries(account, currency);
CREATE TABLE IF NOT EXISTS fin_transactions (
  tx_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  external_ref TEXT UNIQUE,
  session_id TEXT,
  account_id TEXT,
  reverses_tx_id TEXT UNIQUE REFERENCES fin_transactions(tx_id),
  memo TEXT NOT NULL,
  posted_at_ms INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS fin_transactions_balance BEFORE INSERT ON fin_transactions
WHEN (SELECT COUNT(*) FROM fin_entries WHERE tx_id = NEW.tx_id) < 2
  OR EXISTS (SELECT 1 FROM fin_entries WHERE tx_id = NEW.tx_id GROUP BY currency HAVING SUM(amount_minor) <> 0)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction does not balance'); END;
CREATE TRIGGER IF NOT EXISTS fin_entries_sealed BEFORE INSERT ON fin_entries
WHEN EXISTS (SELECT 1 FROM fin_transactions WHERE tx_id = NEW.tx_id)
BEGIN SELECT RAISE(ABORT, 'ledger: transaction is sealed'); END;
${immutable("fin_entries")}
${immutable("fin_transactions")}

CREATE TABLE IF NOT EXISTS invoices (
  invoice_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  contract_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  stall_id TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  tariff_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_bases (
  invoice_id TEXT NOT NULL REFERENCES invoices(invoice_id),
  basis_no INTEGER NOT NULL CHECK (basis_no >= 0),
  basis_key TEXT NOT NULL,
  begin_record BLOB NOT NULL,
  end_record BLOB NOT NULL,
  energy_wh INTEGER NOT NULL CHECK (energy_wh >= 0),
  total_minor INTEGER NOT NULL,
  tx_id TEXT UNIQUE REFERENCES fin_transactions(tx_id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (invoice_id, basis_no),
  UNIQUE (invoice_id, basis_key)
);
CREATE TABLE IF NOT EXISTS invoice_lines (
  invoice_id TEXT NOT NULL,
  basis_no INTEGER NOT NULL,
  line_no INTEGER NOT NULL,
  kind TEXT NOT NULL,
  description TEXT NOT NULL,
  energy_wh INTEGER NOT NULL,
  excl_vat_minor INTEGER NOT NULL,
  vat_minor INTEGER NOT NULL,
  source_records TEXT NOT NULL,
  PRIMARY KEY (invoice_id, basis_no, line_no),
  FOREIGN KEY (invoice_id, basis_no) REFERENCES invoice_bases(invoice_id, basis_no)
);
${immutable("invoices")}
${immutable("invoice_bases")}
${immutable("invoice_lines")}

CREATE TABLE IF NOT EXISTS holds (
  session_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  currency TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  initiated_by TEXT NOT NULL CHECK (initiated_by IN ('customer', 'merchant')),
  status TEXT NOT NULL CHECK (status IN ('requested', 'authorized', 'declined', 'captured', 'released', 'expired')),
  provider_ref TEXT,
  captured_minor INTEGER NOT NULL DEFAULT 0 CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
  requested_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER
);
CREATE TRIGGER IF NOT EXISTS holds_fixed BEFORE UPDATE ON holds
WHEN NEW.amount_minor <> OLD.amount_minor OR NEW.session_id <> OLD.session_id OR NEW.idempotency_key <> OLD.idempotency_key
  OR OLD.status IN ('declined', 'captured', 'released', 'expired')
BEGIN SELECT RAISE(ABORT, 'ledger: a hold keeps its amount and a resolved hold is final'); END;
CREATE TRIGGER IF NOT EXISTS holds_no_delete BEFORE DELETE ON holds
BEGIN SELECT RAISE(ABORT, 'ledger: holds are never deleted'); END;

CREATE TABLE IF NOT EXISTS payments (
  payment_key TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('capture', 'top_up', 'charge', 'adjustment')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  payment_method TEXT NOT NULL,
  network TEXT NOT NULL,
  initiated_by TEXT NOT NULL CHECK (initiated_by IN ('customer', 'merchant')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined', 'abandoned')),
  attempt_no INTEGER NOT NULL DEFAULT 0,
  in_debt INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER NOT NULL,
  last_code TEXT,
  provider_ref TEXT,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_session ON payments(session_id);
CREATE INDEX IF NOT EXISTS payments_due ON payments(status, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS invoices_account ON invoices(account_id);
CREATE TRIGGER IF NOT EXISTS payments_fixed BEFORE UPDATE ON payments
WHEN NEW.amount_minor <> OLD.amount_minor OR NEW.session_id <> OLD.session_id OR NEW.purpose <> OLD.purpose
  OR OLD.status IN ('succeeded', 'abandoned') OR NEW.attempt_no < OLD.attempt_no
BEGIN SELECT RAISE(ABORT, 'ledger: a payment keeps its amount and a settled payment is final'); END;
CREATE TABLE IF NOT EXISTS payment_attempts (
  idempotency_key TEXT NOT NULL,
  try_no INTEGER NOT NULL,
  payment_key TEXT NOT NULL REFERENCES payments(payment_key),
  payment_method TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'declined', 'unknown', 'conflict', 'rejected')),
  code TEXT,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (idempotency_key, try_no)
);
CREATE INDEX IF NOT EXISTS payment_attempts_card ON payment_attempts(payment_method, at_ms);
${immutable("payment_attempts")}

CREATE TABLE IF NOT EXISTS account_standing (
  account_id TEXT PRIMARY KEY,
  standing TEXT NOT NULL CHECK (standing IN ('good', 'blocked')),
  version INTEGER NOT NULL,
  changed_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  dedupe_key TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('notification', 'standing')),
  account_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  delivered_at_ms INTEGER
);
`;
