import { measureQuality, QualityMeter } from './audio-quality';

const RATE = 22_050;
const text = 'x'.repeat(28); // two seconds of speech expected at speed 1

function tone(seconds: number, amplitude: number): Int16Array {
  return new Int16Array(Math.round(seconds * RATE)).map((_, i) =>
    Math.max(-32_768, Math.min(32_767, Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / RATE)))),
  );
}

describe(measureQuality.name, () => {
  it('should pass a tone of the expected length, with its loudness and no flags', () => {
    const report = measureQuality(tone(2, 8_000), RATE, { text, speed: 1 });
    expect(report.flags).toEqual([]);
    expect(report.durationSeconds).toBe(2);
    expect(report.durationRatio).toBeCloseTo(1, 2);
    expect(report.rmsDbfs).toBeCloseTo(20 * Math.log10(8_000 / Math.SQRT2 / 32_768), 0);
    expect(report.clippingRatio).toBe(0);
    expect(report.silenceRatio).toBe(0);
  });

  it('should flag silence, as the silent files of the original design would have been', () => {
    const report = measureQuality(new Int16Array(2 * RATE), RATE, { text, speed: 1 });
    expect(report.flags).toContain('silent');
    expect(report.silenceRatio).toBe(1);
    expect(report.rmsDbfs).toBe(-120);
  });

  it('should flag clipping', () => {
    const report = measureQuality(tone(2, 200_000), RATE, { text, speed: 1 });
    expect(report.flags).toContain('clipped');
    expect(report.clippingRatio).toBeGreaterThan(0.5);
    expect(report.peakDbfs).toBeCloseTo(0, 0);
  });

  it('should flag a duration far from what the text and speed call for, and measure leading/trailing silence', () => {
    const samples = new Int16Array(Math.round(8 * RATE));
    samples.set(tone(1, 8_000), RATE); // 1 s silence, 1 s tone, 6 s silence
    const report = measureQuality(samples, RATE, { text, speed: 2 }); // 1 s expected
    expect(report.flags).toEqual(['duration_mismatch']);
    expect(report.leadingSilenceSeconds).toBeCloseTo(1, 1);
    expect(report.trailingSilenceSeconds).toBeCloseTo(6, 1);
  });
});

describe(QualityMeter.name, () => {
  it('should measure pieces as one signal, whatever the piece boundaries', () => {
    const whole = tone(2, 8_000);
    const meter = new QualityMeter(RATE);
    for (let at = 0; at < whole.length; at += 1_001) meter.add(whole.subarray(at, at + 1_001));
    expect(meter.report({ text, speed: 1 })).toEqual(measureQuality(whole, RATE, { text, speed: 1 }));
  });
});
