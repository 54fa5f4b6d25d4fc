import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SynthesisDto } from './dto/synthesis.dto';
import { TtsAudioNotFoundError } from './tts.errors';
import type { SpeechFile, SpeechPlan } from './speech-plan';

/**
 * Stored speech in DATA_DIR/tts/<tenant>/: the audio file and its description beside it. Every
 * lookup goes through the caller's tenant, so tenants never see each other's audio.
 */
export class TtsStore {
  constructor(private readonly root: string) {}

  /** Tenant names come from credentials; hashed so that no name can make a path. */
  private dir(tenant: string): string {
    return join(this.root, createHash('sha256').update(tenant).digest('hex').slice(0, 32));
  }

  async save(tenant: string, plan: SpeechPlan, file: SpeechFile): Promise<SynthesisDto> {
    const id = randomUUID();
    const dir = this.dir(tenant);
    await mkdir(dir, { recursive: true });
    const record: SynthesisDto = {
      id,
      format: plan.format,
      contentType: file.contentType,
      durationSeconds: Number(file.facts.durationSeconds.toFixed(3)),
      sampleRate: file.facts.sampleRate,
      bytes: file.bytes.length,
      model: plan.model,
      backend: plan.backend.kind,
      voice: plan.voice,
      requestedVoice: plan.requestedVoice,
      quality: { ...file.quality },
      audioUrl: `/v1/tts/${id}/audio`,
      createdAt: new Date().toISOString(),
    };
    // Audio first, description last (each written then renamed): a record always has its audio.
    await writeFile(join(dir, `${id}.audio.tmp`), file.bytes);
    await rename(join(dir, `${id}.audio.tmp`), join(dir, `${id}.audio`));
    await writeFile(join(dir, `${id}.json.tmp`), JSON.stringify(record));
    await rename(join(dir, `${id}.json.tmp`), join(dir, `${id}.json`));
    return record;
  }

  async get(tenant: string, id: string): Promise<SynthesisDto> {
    try {
      return JSON.parse(await readFile(join(this.dir(tenant), `${id}.json`), 'utf8')) as SynthesisDto;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TtsAudioNotFoundError(`No speech ${id}`);
      throw err;
    }
  }

  audioPath(tenant: string, id: string): string {
    return join(this.dir(tenant), `${id}.audio`);
  }
}
