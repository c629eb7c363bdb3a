import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { financialLedgerCompliance } from "./financialLedgerCompliance.js";

financialLedgerCompliance("SQLite", async () => {
  const ledger = openSqliteFinancialLedger(":memory:");
  return { ledger, dispose: () => ledger.close() };
});
