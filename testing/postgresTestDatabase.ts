import pg from "pg";
import { randomBytes } from "node:crypto";
import { serviceGate } from "./requireService.js";

export const POSTGRES_HOST = process.env.PGHOST ?? "127.0.0.1";
export const POSTGRES_PORT = Number(process.env.PGPORT ?? 5432);
const ADMIN_URL = `postgres://postgres@${POSTGRES_HOST}:${POSTGRES_PORT}/postgres`;

/** True when PostgreSQL answers (skip outside CI otherwise; fail in CI). */
export function postgresAvailable(): Promise<boolean> {
  return serviceGate("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT);
}

/** Creates a database with a random name; `drop` removes it (terminating leftover connections). */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `billing_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@${POSTGRES_HOST}:${POSTGRES_PORT}/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
