import { systemClock } from "@chargemesh/shared-model";
import { checkRevenue, openFinancialLedger } from "@chargemesh/cloud-peer";

const USAGE = `usage: npm run check:revenue -- --db <sqlite path | postgres://url> [--json] [--at <epoch ms>]

Checks the revenue invariants of a financial ledger:
  billed Wh = signed metered Wh of every invoiced session; no session with two invoices or two
  primary payments, none collected above its bill; every transaction balances and the ledger sums
  to zero; every hold is resolved or within its life (at --at, default now).
Exit codes: 0 all hold, 1 a violation, 2 usage, 3 the database could not be read.`;

function parse(argv: string[]): { db: string; json: boolean; at: number } | string {
  let db: string | null = null;
  let json = false;
  let at = systemClock.now();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") return "help";
    else if (a === "--json") json = true;
    else if (a === "--db" && argv[i + 1]) db = argv[++i]!;
    else if (a === "--at" && /^\d+$/.test(argv[i + 1] ?? "")) at = Number(argv[++i]);
    else return `unknown or incomplete flag: ${a}`;
  }
  return db ? { db, json, at } : "--db is required";
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  if (args === "help") return (console.log(USAGE), 0);
  if (typeof args === "string") return (console.error(`${args}\n\n${USAGE}`), 2);
  let ledger;
  try {
    if (!/^postgres(ql)?:\/\//.test(args.db)) {
      const { existsSync } = await import("node:fs");
      if (!existsSync(args.db)) throw new Error(`no such database file: ${args.db}`);
    }
    ledger = await openFinancialLedger(args.db);
  } catch (e) {
    console.error(`check:revenue: cannot open ${args.db}: ${(e as Error).message}`);
    return 3;
  }
  try {
    const report = await checkRevenue(ledger, args.at);
    const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);
    if (args.json) console.log(json(report));
    else {
      for (const c of report.checks) {
        console.log(`${c.ok ? "ok  " : "FAIL"} ${c.name} (${c.checked} checked)`);
        for (const v of c.violations)
          console.log(`       ${[v.sessionId, v.txId].filter(Boolean).join(" ")}: ${v.message}`);
      }
    }
    return report.ok ? 0 : 1;
  } catch (e) {
    console.error(`check:revenue: ${(e as Error).message}`);
    return 3;
  } finally {
    await ledger.close();
  }
}

process.exitCode = await main();
