import type { Pool } from 'pg';
import { SchemaPool } from '../../../platform/storage';
import type { CaptionInfo, ImageListFilter, ImageRecord, SimilarImage } from '../image-record';
import type { ImageMetadataStore } from './image-metadata-store';
import { IMAGES_MIGRATIONS } from './postgres-migrations';

export interface PostgresImageStoreOptions {
  connectionString: string;
  /** Schema holding the tables (created if missing). Default `public`. */
  schema?: string;
  poolSize?: number;
}

/** Arbitrary constant: the advisory lock key that serialises migrations across instances. */
const MIGRATION_LOCK = 0x1_4a6e_5e;

interface ImageRow {
  tenant: string;
  id: string;
  sha256: string;
  phash: string;
  format: ImageRecord['format'];
  original_format: ImageRecord['originalFormat'];
  width: number;
  height: number;
  bytes: string;
  frames: number;
  orientation: number | null;
  metadata_stripped: boolean;
  source: ImageRecord['source'];
  filename: string | null;
  caption: string | null;
  caption_info: CaptionInfo | null;
  created_at: Date;
  distance?: number;
}

/** 16 hex digits ⇄ PostgreSQL's signed bigint. */
const phashToBigint = (hex: string) => BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
const bigintToPhash = (n: string) => BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0');

function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    sha256: r.sha256,
    phash: bigintToPhash(r.phash),
    format: r.format,
    originalFormat: r.original_format,
    width: r.width,
    height: r.height,
    bytes: Number(r.bytes),
    frames: r.frames,
    orientation: r.orientation,
    metadataStripped: r.metadata_stripped,
    source: r.source,
    filename: r.filename,
    caption: r.caption,
    captionInfo: r.caption_info ?? null,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * PostgreSQL image metadata: one catalogue shared by every Fennec instance. Near-duplicates are
 * found in SQL (`bit_count` of the XOR of two 64-bit hashes, PostgreSQL 14+). Tenancy is a
 * column in every key and every query.
 */
export class PostgresImageMetadataStore implements ImageMetadataStore {
  readonly kind = 'postgres';
  private readonly pool: SchemaPool;
  private readonly schema: string;

  constructor(options: PostgresImageStoreOptions) {
    this.schema = options.schema ?? 'public';
    this.pool = new SchemaPool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      what: 'image metadata store',
      schema: this.schema,
      table: 'images_schema_migrations',
      lockKey: MIGRATION_LOCK,
      migrations: IMAGES_MIGRATIONS,
    });
  }

  private get t() {
    return { images: `${this.schema}.images` };
  }

  open(): Promise<void> {
    return this.pool.open();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private db(): Pool {
    return this.pool.db;
  }

  async insert(r: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    const { rowCount } = await this.db().query(
      `INSERT INTO ${this.t.images} (tenant, id, sha256, phash, format, original_format, width, height, bytes, frames,
         orientation, metadata_stripped, source, filename, caption, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (tenant, sha256) DO NOTHING`,
      [
        r.tenant,
        r.id,
        r.sha256,
        phashToBigint(r.phash),
        r.format,
        r.originalFormat,
        r.width,
        r.height,
        r.bytes,
        r.frames,
        r.orientation,
        r.metadataStripped,
        r.source,
        r.filename,
        r.caption,
        r.createdAt,
      ],
    );
    if (rowCount) return { inserted: true };
    const existing = await this.findBySha(r.tenant, r.sha256);
    if (!existing) throw new Error('image insert conflicted but no image has its hash');
    return { inserted: false, existing };
  }

  async get(tenant: string, id: string): Promise<ImageRecord | undefined> {
    const { rows } = await this.db().query<ImageRow>(`SELECT * FROM ${this.t.images} WHERE tenant = $1 AND id = $2`, [
      tenant,
      id,
    ]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findBySha(tenant: string, sha256: string): Promise<ImageRecord | undefined> {
    const { rows } = await this.db().query<ImageRow>(
      `SELECT * FROM ${this.t.images} WHERE tenant = $1 AND sha256 = $2`,
      [tenant, sha256],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(
    tenant: string,
    filter: ImageListFilter,
    page: { offset: number; limit: number },
  ): Promise<{ items: ImageRecord[]; total: number }> {
    const where = `tenant = $1 AND ($2::text IS NULL OR source = $2) AND ($3::text IS NULL OR format = $3)
      AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at <= $5)
      AND ($6::text IS NULL OR strpos(lower(caption), lower($6)) > 0)`;
    const params = [
      tenant,
      filter.source ?? null,
      filter.format ?? null,
      filter.createdFrom ?? null,
      filter.createdTo ?? null,
      filter.captionContains ?? null,
    ];
    const [items, total] = await Promise.all([
      this.db().query<ImageRow>(
        `SELECT * FROM ${this.t.images} WHERE ${where} ORDER BY created_at DESC, id ASC OFFSET $7 LIMIT $8`,
        [...params, page.offset, page.limit],
      ),
      this.db().query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.images} WHERE ${where}`, params),
    ]);
    return { items: items.rows.map(toRecord), total: Number(total.rows[0].n) };
  }

  async delete(tenant: string, id: string): Promise<ImageRecord | undefined> {
    const { rows } = await this.db().query<ImageRow>(
      `DELETE FROM ${this.t.images} WHERE tenant = $1 AND id = $2 RETURNING *`,
      [tenant, id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async countBySha(sha256: string): Promise<number> {
    const { rows } = await this.db().query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.t.images} WHERE sha256 = $1`,
      [sha256],
    );
    return Number(rows[0].n);
  }

  async similar(
    tenant: string,
    phash: string,
    maxDistance: number,
    limit: number,
    excludeId?: string,
  ): Promise<SimilarImage[]> {
    const { rows } = await this.db().query<ImageRow>(
      `SELECT * FROM (SELECT *, bit_count((phash # $2::bigint)::bit(64))::int AS distance FROM ${this.t.images}
         WHERE tenant = $1 AND ($5::text IS NULL OR id <> $5)) s
       WHERE distance <= $3 ORDER BY distance, created_at DESC, id LIMIT $4`,
      [tenant, phashToBigint(phash), maxDistance, limit, excludeId ?? null],
    );
    return rows.map((r) => ({ image: toRecord(r), distance: Number(r.distance) }));
  }

  async setCaption(tenant: string, id: string, caption: string | null, info: CaptionInfo | null): Promise<boolean> {
    const { rowCount } = await this.db().query(
      `UPDATE ${this.t.images} SET caption = $3, caption_info = $4 WHERE tenant = $1 AND id = $2`,
      [tenant, id, caption, info === null ? null : JSON.stringify(info)],
    );
    return (rowCount ?? 0) > 0;
  }

  async stats(): Promise<{ images: number; tenants: number; bytes: number }> {
    const { rows } = await this.db().query<{ images: string; tenants: string; bytes: string | null }>(
      `SELECT count(*) AS images, count(DISTINCT tenant) AS tenants, sum(bytes) AS bytes FROM ${this.t.images}`,
    );
    return { images: Number(rows[0].images), tenants: Number(rows[0].tenants), bytes: Number(rows[0].bytes ?? 0) };
  }
}
