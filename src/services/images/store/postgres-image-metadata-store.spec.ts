import { Client } from 'pg';
import { describeImageStoreContract } from './image-metadata-store.contract';
import { PostgresImageMetadataStore } from './postgres-image-metadata-store';
import { IMAGES_MIGRATIONS } from './postgres-migrations';

const URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let n = 0;

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

describeImageStoreContract('postgres', async () => {
  const schema = `images_test_${process.pid}_${++n}`;
  const open = async () => {
    const s = new PostgresImageMetadataStore({ connectionString: URL, schema, poolSize: 3 });
    await s.open();
    return s;
  };
  let store = await open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await open();
      return store;
    },
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe(PostgresImageMetadataStore.name, () => {
  const schema = `images_test_${process.pid}_mig`;
  afterAll(() => dropSchema(schema));

  it('should run migrations once even when instances start together', async () => {
    const stores = [0, 1, 2].map(() => new PostgresImageMetadataStore({ connectionString: URL, schema, poolSize: 2 }));
    await Promise.all(stores.map((s) => s.open()));
    const client = new Client({ connectionString: URL });
    await client.connect();
    const { rows } = await client.query(`SELECT version FROM ${schema}.images_schema_migrations ORDER BY version`);
    await client.end();
    await Promise.all(stores.map((s) => s.close()));
    expect(rows).toEqual(IMAGES_MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('should refuse a schema name that is not a plain identifier', () => {
    expect(() => new PostgresImageMetadataStore({ connectionString: URL, schema: 'x; drop table y' })).toThrow(
      'invalid schema name',
    );
  });
});
