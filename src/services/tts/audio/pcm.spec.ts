import { decodeWav, fixPlaceholderWavSizes, PcmJoiner, resampleLinear, streamingWavHeader, wavFile } from './pcm';

describe(PcmJoiner.name, () => {
  it('should keep every sample but the overlaps, and crossfade across a join', () => {
    const joiner = new PcmJoiner(4);
    const a = new Int16Array(10).fill(1000);
    const b = new Int16Array(10).fill(-1000);
    const out = [...joiner.push(a), ...joiner.push(b), ...joiner.finish()];
    expect(out).toHaveLength(16); // 10 + 10 - 4 overlapping samples
    expect(out.slice(0, 6)).toEqual(Array(6).fill(1000));
    // The four joined samples move from a to b in steps instead of jumping (no click).
    const fade = out.slice(6, 10);
    expect(fade[0]).toBeLessThan(1000);
    expect(fade[0]).toBeGreaterThan(fade[3]);
    expect(fade[3]).toBeGreaterThan(-1000);
    expect(out.slice(10)).toEqual(Array(6).fill(-1000));
  });

  it('should hold back only the tail it needs for the next fade', () => {
    const joiner = PcmJoiner.forRate(1000, 5);
    expect(joiner.push(new Int16Array(20))).toHaveLength(15);
    expect(joiner.finish()).toHaveLength(5);
  });
});

describe(fixPlaceholderWavSizes.name, () => {
  it("should rewrite a pipe writer's placeholder sizes to the real lengths", () => {
    const wav = wavFile({ samples: new Int16Array(100).fill(7), sampleRate: 22_050 });
    wav.writeUInt32LE(0x7ffff024, 4);
    wav.writeUInt32LE(0x7ffff000, 40);
    const fixed = fixPlaceholderWavSizes(wav);
    expect(fixed.readUInt32LE(40)).toBe(200);
    expect(fixed.readUInt32LE(4)).toBe(fixed.length - 8);
    expect(decodeWav(fixed, 22_050).samples).toEqual(new Int16Array(100).fill(7));
  });

  it('should leave real sizes alone, so that a truncated file still shows as truncated', () => {
    const wav = wavFile({ samples: new Int16Array(100), sampleRate: 22_050 }).subarray(0, 100);
    expect(fixPlaceholderWavSizes(wav).readUInt32LE(40)).toBe(200);
  });
});

describe(streamingWavHeader.name, () => {
  it('should write a 44-byte PCM mono 16-bit header with open-ended sizes', () => {
    const h = streamingWavHeader(22_050);
    expect(h).toHaveLength(44);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(24)).toBe(22_050);
    expect(h.readUInt16LE(22)).toBe(1);
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.readUInt32LE(40)).toBe(0xffffffff);
  });
});

describe(resampleLinear.name, () => {
  it('should change the number of samples by the ratio of the rates and keep a constant signal', () => {
    const out = resampleLinear(new Int16Array(22_050).fill(500), 22_050, 24_000);
    expect(out).toHaveLength(24_000);
    expect(new Set(out)).toEqual(new Set([500]));
  });
});
