import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ImageTooLargeError } from '../images.errors';
import { stageFile } from './staged-file';

describe(stageFile.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-stage-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('should write the bytes, with their SHA-256 and size', async () => {
    const body = Buffer.from('some image bytes');
    const staged = await stageFile(Readable.from([body.subarray(0, 4), body.subarray(4)]), dir, 100);
    expect(staged).toEqual({
      path: expect.stringContaining(dir),
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect((await readFile(staged.path)).equals(body)).toBe(true);
  });

  it('should find markup even when it is split between two chunks', async () => {
    const staged = await stageFile(Readable.from([Buffer.from('\xff\xd8 junk <scr'), Buffer.from('ipt>x')]), dir, 100);
    expect(staged.markup).toBe('<script>');
  });

  it('should refuse more than the limit and leave no file behind', async () => {
    await expect(stageFile(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), dir, 100)).rejects.toThrow(
      ImageTooLargeError,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
