import { openPostgresFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { financialLedgerCompliance } from "./financialLedgerCompliance.js";
import { createTestDatabase, postgresAvailable } from "../../../testing/postgresTestDatabase.js";

financialLedgerCompliance(
  "PostgreSQL",
  async () => {
    const db = await createTestDatabase();
    const ledger = await openPostgresFinancialLedger(db.url);
    return { ledger, dispose: async () => (await ledger.close(), await db.drop()) };
  },
  postgresAvailable,
);
