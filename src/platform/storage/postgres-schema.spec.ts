import { Pool } from 'pg';
import { checkIdentifier, inTransaction, migrateSchema, SchemaPool, type SchemaMigration } from './postgres-schema';

const URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe(migrateSchema.name, () => {
  const schema = `schema_test_${process.pid}_${Date.now().toString(36)}`;
  const pool = new Pool({ connectionString: URL, max: 4 });
  const migrations: SchemaMigration[] = [
    { version: 1, name: 'items', sql: 'CREATE TABLE {schema}.items (id integer PRIMARY KEY)' },
    { version: 2, name: 'seed', sql: 'INSERT INTO {schema}.items (id) VALUES (1)' },
  ];
  const options = { schema, table: 'test_migrations', lockKey: 0x5ce_ea, migrations };

  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('should apply each migration once, even when instances migrate at the same time', async () => {
    await Promise.all([migrateSchema(pool, options), migrateSchema(pool, options), migrateSchema(pool, options)]);
    await migrateSchema(pool, options);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.items`)).rows[0]).toEqual({ n: 1 });
    const applied = await pool.query(`SELECT version, name FROM ${schema}.test_migrations ORDER BY version`);
    expect(applied.rows).toEqual([
      { version: 1, name: 'items' },
      { version: 2, name: 'seed' },
    ]);
  });

  it('should apply a later migration on the next start, and roll back one that fails', async () => {
    const broken = [...migrations, { version: 3, name: 'broken', sql: 'INSERT INTO {schema}.nope VALUES (1)' }];
    await expect(migrateSchema(pool, { ...options, migrations: broken })).rejects.toThrow(/nope/);
    const later = [...migrations, { version: 3, name: 'more', sql: 'INSERT INTO {schema}.items (id) VALUES (2)' }];
    await migrateSchema(pool, { ...options, migrations: later });
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.items`)).rows[0]).toEqual({ n: 2 });
  });

  it('should roll a transaction back when its work throws', async () => {
    await expect(
      inTransaction(pool, async (c) => {
        await c.query(`INSERT INTO ${schema}.items (id) VALUES (99)`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.items WHERE id = 99`)).rows[0]).toEqual({
      n: 0,
    });
  });

  it('should refuse names that are not plain identifiers', () => {
    expect(checkIdentifier('rag_1')).toBe('rag_1');
    for (const bad of ['Rag', '1rag', 'rag; DROP TABLE x', 'a'.repeat(64)]) {
      expect(() => checkIdentifier(bad)).toThrow(/invalid schema name/);
    }
  });
});

describe(SchemaPool.name, () => {
  const schema = `schema_pool_test_${process.pid}_${Date.now().toString(36)}`;
  const options = {
    connectionString: URL,
    max: 2,
    what: 'test store',
    schema,
    table: 'test_migrations',
    lockKey: 0x5ce_eb,
    migrations: [{ version: 1, name: 'items', sql: 'CREATE TABLE {schema}.items (id integer PRIMARY KEY)' }],
  };

  afterAll(async () => {
    const admin = new Pool({ connectionString: URL, max: 1 });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('should be usable only between open (schema migrated) and close', async () => {
    const store = new SchemaPool(options);
    expect(() => store.db).toThrow('test store is not open');
    await store.open();
    expect((await store.db.query(`SELECT count(*)::int AS n FROM ${schema}.items`)).rows[0]).toEqual({ n: 0 });
    await store.close();
    expect(() => store.db).toThrow('test store is not open');
  });

  it('should close its connections again when the schema cannot be migrated', async () => {
    const broken = new SchemaPool({
      ...options,
      migrations: [{ version: 1, name: 'broken', sql: 'INSERT INTO {schema}.nope VALUES (1)' }],
      table: 'broken_migrations',
    });
    const end = jest.spyOn(Pool.prototype, 'end');
    await expect(broken.open()).rejects.toThrow(/nope/);
    expect(end).toHaveBeenCalledTimes(1);
    end.mockRestore();
    expect(() => broken.db).toThrow('is not open');
  });
});
