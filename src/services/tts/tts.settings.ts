import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';

/**
 * Runtime configuration of the `tts` service (`GET/PATCH /config/tts`), shared by every instance.
 * E.g. `PATCH /config/tts {"allowedVoices":["alloy","nova"]}`.
 */
export class TtsSettings {
  /** Models callers may use; empty: every model in TTS_MODELS. */
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedModels: string[] = [];

  /** Voices callers may ask for (OpenAI names or backend voices); empty: any the backend has. */
  @IsArray()
  @ArrayMaxSize(2_000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedVoices: string[] = [];
}
