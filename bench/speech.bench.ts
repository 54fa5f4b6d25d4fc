/**
 * npm run bench:speech — a 2,000-character text spoken through Fennec's local engine path
 * (`POST /v1/audio/speech`, response_format wav, the whole app in its own process: sentence
 * chunks, espeak-ng in parallel, checks, crossfade, streamed WAV) versus espeak-ng called directly
 * on the whole text (`espeak-ng --stdout`, text on stdin), in the same run, rounds interleaved so
 * machine drift hits both alike.
 *
 * Figures (medians): Fennec's time to first audio byte (the first byte after the 44-byte WAV
 * header) and total time, the direct call's total time, and the ratios. Targets: first audio
 * ≤ 0.3× the direct total, Fennec's total ≤ 1.2× it. Also the same text with
 * `stream_format: "sse"` (OpenAI's speech events): time to the first `speech.audio.delta` event
 * and to the end of the stream. Env: BENCH_ROUNDS (21).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';

const ROOT = join(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const VOICE = 'en-us'; // what `alloy` maps to by default
const WAV_HEADER = 44;

/** A deterministic English text of exactly 2,000 characters in sentences of 6 to 20 words. */
function text2000(): string {
  const words = (
    'the a quiet river runs past old stone houses where children play and neighbours talk about ' +
    'weather markets trains letters music gardens winter summer morning evening bread coffee ' +
    'engineers write careful tests before they ship every feature to the people who rely on it'
  ).split(' ');
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  let out = '';
  while (out.length < 2_000) {
    const n = 6 + Math.floor(next() * 15);
    const s = Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
    out += `${s[0].toUpperCase()}${s.slice(1)}. `;
  }
  return `${out.slice(0, 1_999).trimEnd()}.`.padEnd(2_000, '.');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function direct(text: string): Promise<{ totalMs: number; bytes: number }> {
  const t0 = performance.now();
  const child = spawn('espeak-ng', ['--stdout', '-v', VOICE, '-s', '175']);
  let bytes = 0;
  child.stdout.on('data', (b: Buffer) => (bytes += b.length));
  child.stdin.end(text);
  await new Promise((r) => child.once('close', r));
  return { totalMs: performance.now() - t0, bytes };
}

/** node:http rather than fetch: the client's own cost (web streams) should not count against Fennec. */
const agent = new Agent({ keepAlive: true });

function viaFennec(
  url: string,
  text: string,
  sse = false,
): Promise<{ firstAudioMs: number; totalMs: number; bytes: number }> {
  const body = JSON.stringify({
    // OpenAI serves no sse for tts-1; gpt-4o-mini-tts takes the same backend here (auto).
    model: sse ? 'gpt-4o-mini-tts' : 'tts-1',
    input: text,
    voice: 'alloy',
    response_format: 'wav',
    ...(sse ? { stream_format: 'sse' } : {}),
  });
  const firstAudio = sse ? (seen: string) => seen.includes('"speech.audio.delta"') : undefined;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      `${url}/v1/audio/speech`,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let bytes = 0;
        let firstAudioMs = 0;
        let head = '';
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (firstAudioMs !== 0) return;
          if (firstAudio) {
            head += chunk.toString('latin1', 0, 256);
            if (firstAudio(head)) firstAudioMs = performance.now() - t0;
          } else if (bytes > WAV_HEADER) firstAudioMs = performance.now() - t0;
        });
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ firstAudioMs, totalMs: performance.now() - t0, bytes })
            : reject(new Error(`Fennec answered ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startFennec(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/servers/llm-fennec-server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...fennecBenchEnv(),
      LOG_LEVEL: 'warn',
      OLLAMA_URLS: 'http://127.0.0.1:9',
      TTS_SPEECH_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the Fennec server exited with ${code}`)));
  });
  child.stdout.resume();
  return { child, url: `http://127.0.0.1:${port}` };
}

async function main(): Promise<void> {
  const text = text2000();
  const { child, url } = await startFennec();
  try {
    for (let i = 0; i < 3; i++) {
      await viaFennec(url, text);
      await direct(text);
    }
    const d: number[] = [];
    const f: number[] = [];
    const fa: number[] = [];
    const sf: number[] = [];
    const sfa: number[] = [];
    let sizes = { direct: 0, fennec: 0 };
    // A pause before each call: background work of the previous one (Fennec re-spawning its warm
    // spares) must not run during the next measurement, whichever side it is.
    const settle = () => new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < ROUNDS; i++) {
      await settle();
      const a = await direct(text);
      // Raw and sse take turns coming right after the direct call: whichever follows another
      // Fennec call measured slower (the sse stream's first delta 4-5x), so neither always does.
      const fennec = async (sse: boolean) => {
        await settle();
        return viaFennec(url, text, sse);
      };
      const [b, c] =
        i % 2 === 0
          ? [await fennec(false), await fennec(true)]
          : await fennec(true).then(async (sse) => [await fennec(false), sse]);
      d.push(a.totalMs);
      f.push(b.totalMs);
      fa.push(b.firstAudioMs);
      sf.push(c.totalMs);
      sfa.push(c.firstAudioMs);
      sizes = { direct: a.bytes, fennec: b.bytes };
    }
    const directMs = median(d);
    const firstMs = median(fa);
    const totalMs = median(f);
    const rows = [
      ['text', `${text.length} characters`],
      ['rounds', String(ROUNDS)],
      ['espeak-ng direct, total (median)', `${directMs.toFixed(1)} ms`],
      ['Fennec, first audio byte (median)', `${firstMs.toFixed(1)} ms`],
      ['Fennec, total (median)', `${totalMs.toFixed(1)} ms`],
      ['first audio / direct total', `${(firstMs / directMs).toFixed(2)}× (target ≤ 0.30×)`],
      ['Fennec total / direct total', `${(totalMs / directMs).toFixed(2)}× (target ≤ 1.20×)`],
      ['audio bytes direct / Fennec', `${sizes.direct} / ${sizes.fennec}`],
      ['Fennec sse, first delta (median)', `${median(sfa).toFixed(1)} ms`],
      ['Fennec sse, total (median)', `${median(sf).toFixed(1)} ms`],
      ['sse first delta / direct total', `${(median(sfa) / directMs).toFixed(2)}×`],
      ['sse total / direct total', `${(median(sf) / directMs).toFixed(2)}×`],
    ];
    for (const [k, v] of rows) console.log(`${k.padEnd(36)} ${v}`);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
