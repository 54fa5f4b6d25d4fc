import { Pool, type PoolClient } from 'pg';

/** One step of a store's PostgreSQL schema; `{schema}` in `sql` is replaced by the schema name. */
export interface SchemaMigration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  schema: string;
  /** Table (in `schema`) recording the versions applied. */
  table: string;
  /** Advisory lock key, one per store, so instances starting together migrate once. */
  lockKey: number;
  migrations: readonly SchemaMigration[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema (or table) name safe to put in SQL text; anything else is refused at construction. */
export function checkIdentifier(name: string, what = 'schema'): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid ${what} name '${name}'`);
  return name;
}

/** Runs `fn` in one transaction on one pooled connection: committed if it resolves, else rolled back. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Brings a store's schema up to date: creates the schema and its versions table, then applies
 * each migration not yet recorded, in order, all in one transaction under a transaction-scoped
 * advisory lock (instances starting together wait for the first, then find nothing to do).
 */
export async function migrateSchema(pool: Pool, options: MigrateOptions): Promise<void> {
  const schema = checkIdentifier(options.schema);
  const table = `${schema}.${checkIdentifier(options.table, 'table')}`;
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [options.lockKey]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await c.query<{ version: number }>(`SELECT version FROM ${table}`)).rows.map((r) => r.version),
    );
    for (const m of options.migrations) {
      if (done.has(m.version)) continue;
      await c.query(m.sql.replaceAll('{schema}', schema));
      await c.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
  });
}

export interface SchemaPoolOptions extends MigrateOptions {
  connectionString: string;
  /** Most connections (pg's `max`). */
  max: number;
  /** What the pool serves, for the error when it is used before open(). */
  what: string;
}

/**
 * The connection pool of one PostgreSQL-backed store: opened with its schema migrated (closed
 * again if that fails), closed with the store. Idle-client errors are left to surface on the
 * next query rather than crash the process (pg emits them on the pool).
 */
export class SchemaPool {
  private pool?: Pool;

  constructor(private readonly options: SchemaPoolOptions) {
    checkIdentifier(options.schema);
  }

  async open(): Promise<void> {
    const pool = new Pool({ connectionString: this.options.connectionString, max: this.options.max });
    pool.on('error', () => undefined);
    try {
      await migrateSchema(pool, this.options);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.pool = pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** The open pool; throws before open() and after close(). */
  get db(): Pool {
    if (!this.pool) throw new Error(`${this.options.what} is not open`);
    return this.pool;
  }
}
