/**
 * A database of its own for each PostgreSQL bench run, on the server TELEM_TEST_POSTGRES_URL names
 * (its role may create databases, as .ci/provision.sh sets it up): figures count only what the run
 * stored, and the shared database the tests use is left alone.
 */
import pg from 'pg';

export interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

async function admin(baseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function freshBenchDatabase(baseUrl: string, name: string): Promise<BenchDatabase> {
  const database = `telem_bench_${process.pid}_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  await admin(baseUrl, `DROP DATABASE IF EXISTS ${database}`);
  await admin(baseUrl, `CREATE DATABASE ${database}`);
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return { url: url.href, drop: () => admin(baseUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`) };
}
