import { WaveFile } from 'wavefile';
import { TtsBadAudioError } from '../tts.errors';
import { adtsSamples, inspectAudio } from './audio-inspector';
import { fixPlaceholderWavSizes, wavFile } from './pcm';

function tone(seconds: number, rate: number, channels = 1): Buffer {
  const n = Math.round(seconds * rate);
  const samples = new Int16Array(n * channels).map((_, i) => Math.round(8_000 * Math.sin(i / 5)));
  const wav = new WaveFile();
  wav.fromScratch(channels, rate, '16', samples);
  return Buffer.from(wav.toBuffer());
}

describe(inspectAudio.name, () => {
  it('should report container, codec, rate, channels and duration of a good WAV', async () => {
    const facts = await inspectAudio(tone(1.5, 22_050), { format: 'wav', sampleRate: 22_050, channels: 1 }, 'test');
    expect(facts).toEqual({ container: 'WAVE', codec: 'PCM', sampleRate: 22_050, channels: 1, durationSeconds: 1.5 });
  });

  it('should refuse a WAV at another sample rate than asked for', async () => {
    await expect(
      inspectAudio(tone(1, 16_000), { format: 'wav', sampleRate: 22_050, channels: 1 }, 'test'),
    ).rejects.toThrow(/16000 Hz, expected 22050 Hz/);
  });

  it('should refuse stereo where mono was asked for', async () => {
    await expect(inspectAudio(tone(1, 24_000, 2), { format: 'wav', channels: 1 }, 'test')).rejects.toThrow(
      /2 channel\(s\), expected 1/,
    );
  });

  it('should refuse a truncated WAV whose header declares more data than it holds', async () => {
    const whole = tone(1, 24_000);
    const err = await inspectAudio(whole.subarray(0, 20_000), { format: 'wav', channels: 1 }, 'test').catch((e) => e);
    expect(err).toBeInstanceOf(TtsBadAudioError);
    expect((err as Error).message).toMatch(/truncated/);
  });

  it('should refuse bytes that are not audio, and an empty body', async () => {
    await expect(
      inspectAudio(Buffer.from('<html>not audio</html>'.repeat(10)), { format: 'wav', channels: 1 }, 'test'),
    ).rejects.toBeInstanceOf(TtsBadAudioError);
    await expect(inspectAudio(Buffer.alloc(0), { format: 'wav', channels: 1 }, 'test')).rejects.toThrow(/empty/);
  });

  it('should refuse a file whose duration is not the one expected', async () => {
    const wav = wavFile({ samples: new Int16Array(24_000), sampleRate: 24_000 });
    await expect(
      inspectAudio(wav, { format: 'wav', channels: 1, sampleRate: 24_000, durationSeconds: 2 }, 'test'),
    ).rejects.toThrow(/1\.000 s long, expected 2\.000 s/);
  });

  it('should read a WAV with placeholder sizes once they are fixed', async () => {
    const wav = Buffer.from(tone(0.5, 22_050));
    wav.writeUInt32LE(0x7ffff024, 4);
    wav.writeUInt32LE(0x7ffff000, 40);
    const facts = await inspectAudio(fixPlaceholderWavSizes(wav), { format: 'wav', channels: 1 }, 'test');
    expect(facts.durationSeconds).toBeCloseTo(0.5, 3);
  });
});

describe(adtsSamples.name, () => {
  it('should count 1,024 samples per ADTS frame and stop at bytes that are not a frame', () => {
    const frame = Buffer.from([0xff, 0xf1, 0x50, 0x80, 0x01, 0x1f, 0xfc, 0, 0]);
    // frame_length = 9 bytes (header 7 + 2 payload), one raw data block.
    frame[3] = 0x80;
    frame[4] = 0x01;
    frame[5] = 0x20;
    expect(adtsSamples(Buffer.concat([frame, frame, frame]))).toBe(3 * 1024);
    expect(adtsSamples(Buffer.concat([frame, Buffer.from('junk')]))).toBe(1024);
  });
});
