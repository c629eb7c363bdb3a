import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportInvoices, openFinancialLedger } from "@chargemesh/cloud-peer";

const USAGE = `usage: npm run invoice-export -- --db <sqlite path | postgres://url> --out <invoices.json> [--site <siteId>]

Writes the financial ledger's invoices (each with its current basis: the signed begin and end records'
hashes, energy, total and every line) as the auditor's --invoices file (docs/auditing.md "Invoices"):
  chargemesh-audit verify <bundle> --trust <anchors> --tariffs <tariff.json> --time-zone <zone> --invoices <file>
Exit codes: 0 written, 2 usage, 3 the database could not be read.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        db: { type: "string" },
        out: { type: "string" },
        site: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return (console.error(`${(e as Error).message}\n\n${USAGE}`), 2);
  }
  if (values.help) return (console.log(USAGE), 0);
  if (!values.db || !values.out) return (console.error(`--db and --out are required\n\n${USAGE}`), 2);
  if (!/^postgres(ql)?:\/\//.test(values.db) && !existsSync(values.db))
    return (console.error(`invoice-export: no such database file: ${values.db}`), 3);
  let ledger;
  try {
    ledger = await openFinancialLedger(values.db);
  } catch (e) {
    return (console.error(`invoice-export: cannot open ${values.db}: ${(e as Error).message}`), 3);
  }
  try {
    const text = await exportInvoices(ledger, values.site);
    writeFileSync(values.out, text);
    console.log(`wrote ${values.out}: ${JSON.parse(text).invoices.length} invoices`);
    return 0;
  } catch (e) {
    console.error(`invoice-export: ${(e as Error).message}`);
    return 3;
  } finally {
    await ledger.close();
  }
}

process.exitCode = await main();
