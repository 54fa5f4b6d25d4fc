import { ConfigValidationError } from '../config/env-namespace';
import { tracingConfig } from './tracing.config';

describe('tracingConfig', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const OTEL = Object.keys(process.env).filter((k) => k.startsWith('OTEL_'));
  beforeEach(() => {
    for (const k of OTEL) delete process.env[k];
  });

  it('should be off without an endpoint', () => {
    expect(tracingConfig()).toMatchObject({ enabled: false, tracesUrl: undefined, sampler: 'parentbased_always_on' });
  });

  it('should send to <endpoint>/v1/traces once an endpoint is set', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://collector:4318/';
    expect(tracingConfig()).toMatchObject({ enabled: true, tracesUrl: 'http://collector:4318/v1/traces' });
  });

  it('should prefer the traces endpoint and honour OTEL_SDK_DISABLED', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://collector:4318';
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'https://otlp.example.com/api/traces';
    expect(tracingConfig().tracesUrl).toBe('https://otlp.example.com/api/traces');
    process.env.OTEL_SDK_DISABLED = 'true';
    expect(tracingConfig().enabled).toBe(false);
  });

  it('should read the sampler and its ratio', () => {
    process.env.OTEL_TRACES_SAMPLER = 'traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.1';
    expect(tracingConfig()).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0.1 });
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('should refuse %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => tracingConfig()).toThrow(ConfigValidationError);
    expect(() => tracingConfig()).toThrow(name);
  });
});
