/**
 * The financial ledger's schema on PostgreSQL: the same tables and invariants as the SQLite schema
 * (sqliteLedgerSchema.ts), enforced by PL/pgSQL triggers, deferred foreign keys and constraints.
 */
const immutable = (table: string) => `
DROP TRIGGER IF EXISTS ${table}_immutable ON ${table};
CREATE TRIGGER ${table}_immutable BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();`;

export const POSTGRES_LEDGER_SCHEMA = `
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ledger: % rows are immutable', TG_TABLE_NAME; END $$;

CREATE TABLE IF NOT EXISTS fin_transactions (
  tx_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  external_ref TEXT UNIQUE,
  session_id TEXT,
  account_id TEXT,
  reverses_tx_id TEXT UNIQUE REFERENCES fin_transactions(tx_id),
  memo TEXT NOT NULL,
  posted_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS fin_entries (
  tx_id TEXT NOT NULL REFERENCES fin_transactions(tx_id) DEFERRABLE INITIALLY DEFERRED,
  line_no INTEGER NOT NULL,
  account TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
  PRIMARY KEY (tx_id, line_no)
);
CREATE INDEX IF NOT EXISTS fin_entries_account ON fin_entries(account, currency);

CREATE OR REPLACE FUNCTION ledger_check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT COUNT(*) FROM fin_entries WHERE tx_id = NEW.tx_id) < 2
     OR EXISTS (SELECT 1 FROM fin_entries WHERE tx_id = NEW.tx_id GROUP BY currency HAVING SUM(amount_minor) <> 0) THEN
    RAISE EXCEPTION 'ledger: transaction does not balance';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS fin_transactions_balance ON fin_transactions;
CREATE TRIGGER fin_transactions_balance BEFORE INSERT ON fin_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_check_balance();

CREATE OR REPLACE FUNCTION ledger_check_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM fin_transactions WHERE tx_id = NEW.tx_id) THEN
    RAISE EXCEPTION 'ledger: transaction is sealed';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS fin_entries_sealed ON fin_entries;
CREATE TRIGGER fin_entries_sealed BEFORE INSERT ON fin_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_check_sealed();
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
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_bases (
  invoice_id TEXT NOT NULL REFERENCES invoices(invoice_id),
  basis_no INTEGER NOT NULL CHECK (basis_no >= 0),
  basis_key TEXT NOT NULL,
  begin_record BYTEA NOT NULL,
  end_record BYTEA NOT NULL,
  energy_wh BIGINT NOT NULL CHECK (energy_wh >= 0),
  total_minor BIGINT NOT NULL,
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
  energy_wh BIGINT NOT NULL,
  excl_vat_minor BIGINT NOT NULL,
  vat_minor BIGINT NOT NULL,
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
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  initiated_by TEXT NOT NULL CHECK (initiated_by IN ('customer', 'merchant')),
  status TEXT NOT NULL CHECK (status IN ('requested', 'authorized', 'declined', 'captured', 'released', 'expired')),
  provider_ref TEXT,
  captured_minor BIGINT NOT NULL DEFAULT 0 CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
  requested_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT
);
CREATE OR REPLACE FUNCTION ledger_check_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'ledger: holds are never deleted'; END IF;
  IF NEW.amount_minor <> OLD.amount_minor OR NEW.session_id <> OLD.session_id OR NEW.idempotency_key <> OLD.idempotency_key
     OR OLD.status IN ('declined', 'captured', 'released', 'expired') THEN
    RAISE EXCEPTION 'ledger: a hold keeps its amount and a resolved hold is final';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS holds_fixed ON holds;
CREATE TRIGGER holds_fixed BEFORE UPDATE OR DELETE ON holds FOR EACH ROW EXECUTE FUNCTION ledger_check_hold();

CREATE TABLE IF NOT EXISTS payments (
  payment_key TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  purpose TEXT NOT NULL CHECK (purpose IN ('capture', 'top_up', 'charge', 'adjustment')),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  payment_method TEXT NOT NULL,
  network TEXT NOT NULL,
  initiated_by TEXT NOT NULL CHECK (initiated_by IN ('customer', 'merchant')),
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined', 'abandoned')),
  attempt_no INTEGER NOT NULL DEFAULT 0,
  in_debt INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms BIGINT NOT NULL,
  last_code TEXT,
  provider_ref TEXT,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_session ON payments(session_id);
CREATE INDEX IF NOT EXISTS payments_due ON payments(status, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS invoices_account ON invoices(account_id);
CREATE OR REPLACE FUNCTION ledger_check_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'ledger: payments are never deleted'; END IF;
  IF NEW.amount_minor <> OLD.amount_minor OR NEW.session_id <> OLD.session_id OR NEW.purpose <> OLD.purpose
     OR OLD.status IN ('succeeded', 'abandoned') OR NEW.attempt_no < OLD.attempt_no THEN
    RAISE EXCEPTION 'ledger: a payment keeps its amount and a settled payment is final';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS payments_fixed ON payments;
CREATE TRIGGER payments_fixed BEFORE UPDATE OR DELETE ON payments FOR EACH ROW EXECUTE FUNCTION ledger_check_payment();
CREATE TABLE IF NOT EXISTS payment_attempts (
  idempotency_key TEXT NOT NULL,
  try_no INTEGER NOT NULL,
  payment_key TEXT NOT NULL REFERENCES payments(payment_key),
  payment_method TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'declined', 'unknown', 'conflict', 'rejected')),
  code TEXT,
  at_ms BIGINT NOT NULL,
  PRIMARY KEY (idempotency_key, try_no)
);
CREATE INDEX IF NOT EXISTS payment_attempts_card ON payment_attempts(payment_method, at_ms);
${immutable("payment_attempts")}

CREATE TABLE IF NOT EXISTS account_standing (
  account_id TEXT PRIMARY KEY,
  standing TEXT NOT NULL CHECK (standing IN ('good', 'blocked')),
  version INTEGER NOT NULL,
  changed_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  dedupe_key TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('notification', 'standing')),
  account_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  delivered_at_ms BIGINT
);
`;
