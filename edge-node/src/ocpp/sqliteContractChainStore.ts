import { X509Certificate } from "node:crypto";
import type Database from "better-sqlite3";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import { parseStoredJson } from "./ocppSiteDatabase.js";

/** One contract chain a charger presented, and when (site clock). */
export interface PresentedChain {
  readonly emaid: string;
  readonly chain: readonly Uint8Array[];
  readonly presentedAtMs: number;
}

/** Where `ContractChains` keeps its cache across controller restarts. */
export interface ContractChainStore {
  /** Every stored chain, least recently presented first, and the rows that could not be read. */
  load(): { chains: PresentedChain[]; damaged: OcppStoreDamage[] };
  /** Stores (or replaces) the chain of `emaid` and deletes the eMAIDs in `drop`, atomically. */
  write(chain: PresentedChain, drop: readonly string[]): void;
  remove(emaids: readonly string[]): void;
}

interface Row {
  emaid: string;
  chain: string;
  presented_at_ms: number;
}

/**
 * The contract-chain cache in the site's SQLite database (`ocpp_contract_chains`: eMAID, the chain
 * as a JSON array of base64 DER certificates, when it was presented). A row whose JSON, base64 or
 * certificates do not parse is reported by `load` and left out.
 */
export class SqliteContractChainStore implements ContractChainStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    db.exec(
      "CREATE TABLE IF NOT EXISTS ocpp_contract_chains (emaid TEXT PRIMARY KEY, chain TEXT NOT NULL, presented_at_ms INTEGER NOT NULL)",
    );
    this.stmts = {
      all: db.prepare<[], Row>(
        "SELECT emaid, chain, presented_at_ms FROM ocpp_contract_chains ORDER BY presented_at_ms, rowid",
      ),
      upsert: db.prepare<[string, string, number]>(
        "INSERT INTO ocpp_contract_chains (emaid, chain, presented_at_ms) VALUES (?, ?, ?) ON CONFLICT(emaid) DO UPDATE SET chain = excluded.chain, presented_at_ms = excluded.presented_at_ms",
      ),
      remove: db.prepare<[string]>("DELETE FROM ocpp_contract_chains WHERE emaid = ?"),
    };
  }

  load(): { chains: PresentedChain[]; damaged: OcppStoreDamage[] } {
    const chains: PresentedChain[] = [];
    const damaged: OcppStoreDamage[] = [];
    for (const r of this.stmts.all.all()) {
      const where = { table: "ocpp_contract_chains", key: r.emaid };
      const parsed = parseStoredJson(r.chain, where);
      if (!parsed.ok) {
        damaged.push(parsed.damage);
        continue;
      }
      const chain = derChain(parsed.value);
      if (typeof chain === "string" || !Number.isSafeInteger(r.presented_at_ms)) {
        damaged.push({
          ...where,
          code: "invalid_input",
          message: `ocpp_contract_chains ${r.emaid}: ${typeof chain === "string" ? chain : "presented_at_ms is not an integer"}`,
        });
        continue;
      }
      chains.push({ emaid: r.emaid, chain, presentedAtMs: r.presented_at_ms });
    }
    return { chains, damaged };
  }

  write(chain: PresentedChain, drop: readonly string[]): void {
    const json = JSON.stringify(chain.chain.map((der) => Buffer.from(der).toString("base64")));
    this.db.transaction(() => {
      this.stmts.upsert.run(chain.emaid, json, chain.presentedAtMs);
      for (const e of drop) this.stmts.remove.run(e);
    })();
  }

  remove(emaids: readonly string[]): void {
    if (emaids.length === 0) return;
    this.db.transaction(() => {
      for (const e of emaids) this.stmts.remove.run(e);
    })();
  }
}

/** The DER certificates of a stored chain, or why it is not one. */
function derChain(value: unknown): Uint8Array[] | string {
  if (!Array.isArray(value) || value.length === 0) return "not a non-empty array of certificates";
  const out: Uint8Array[] = [];
  for (const [i, b64] of value.entries()) {
    if (typeof b64 !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
      return `certificate ${i} is not base64`;
    const der = new Uint8Array(Buffer.from(b64, "base64"));
    try {
      new X509Certificate(der);
    } catch {
      return `certificate ${i} does not parse as X.509`;
    }
    out.push(der);
  }
  return out;
}
