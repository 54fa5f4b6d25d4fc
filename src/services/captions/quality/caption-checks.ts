import { detectAll, supportedLanguages, toISO2 } from 'tinyld';
import type { CaptionCheck } from '../../images';
import type { CaptionSpec } from '../caption-styles';

/** A refusal: the model declined or talked about itself instead of the image. */
const REFUSAL =
  /\b(i'?m sorry|i am sorry|i apologi[sz]e|i can(?:no|')t (?:help|assist|describe|provide|identify|see)|i am (?:not able|unable)|i'?m (?:not able|unable)|as an ai\b|as a language model|unable to (?:assist|help|describe|view|see))/i;

/** Boiler-plate: preambles and empty meta phrases that carry no description. */
const BOILERPLATE = [
  /^(?:sure|certainly|of course|absolutely)\b/i,
  /^here(?:'s| is| are)\b/i,
  /\b(?:the|this) (?:image|picture|photo) (?:shows|depicts|contains|is) an? (?:image|picture|photo)\b/i,
  /^(?:caption|description|prompt)\s*:/i,
  /\bi hope this helps\b|\blet me know if\b/i,
];

/** Words a tag list should not carry alone: they say nothing about this image. */
const EMPTY_TAGS = new Set(['image', 'picture', 'photo', 'photograph', 'tag', 'tags', 'none', 'n/a', 'unknown']);

/** Weight of each check in the score: a refusal or a loop matters more than a word too many. */
const WEIGHTS: Record<string, number> = {
  length: 1,
  refusal: 3,
  boilerplate: 1,
  repetition: 2,
  language: 2,
  tags: 2,
  format: 3,
};

const words = (text: string) => text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));

/**
 * Repetition loops, measured as repeated word n-grams: the most times any 3-gram occurs, and the
 * share of distinct 3-grams. A loop ("a blue circle on a blue circle on …") repeats a 3-gram many
 * times; ordinary prose rarely repeats one more than twice.
 */
export function repetition(text: string): { maxRepeats: number; distinctRatio: number } {
  const w = words(text.toLowerCase()).map((x) => x.replace(/[^\p{L}\p{N}]/gu, ''));
  const counts = new Map<string, number>();
  for (let i = 0; i + 3 <= w.length; i++) {
    const key = w.slice(i, i + 3).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = Math.max(0, w.length - 2);
  const maxRepeats = Math.max(0, ...counts.values());
  return { maxRepeats, distinctRatio: total === 0 ? 1 : counts.size / total };
}

/** The language tinyld finds in `text`, when it is long enough to say (ISO 639-1). */
export function detectLanguage(text: string): { lang: string; accuracy: number } | undefined {
  const [best] = detectAll(text);
  return best ? { lang: best.lang, accuracy: best.accuracy } : undefined;
}

const SUPPORTED = new Set<string>(supportedLanguages.map((l) => toISO2(l)));

/**
 * Measures a caption (or, for style `tags`, the normalised tag list) against what was asked:
 * length, refusal, boiler-plate, repetition, language and tag sanity. The score is the weighted
 * share of checks passed (0..1); `passed` is all of them.
 */
export function checkCaption(
  text: string,
  spec: CaptionSpec,
  tags?: string[],
): { checks: CaptionCheck[]; score: number; passed: boolean } {
  const checks: CaptionCheck[] = [];
  const add = (name: string, passed: boolean, measured?: string | number, detail?: string) =>
    checks.push({ name, passed, ...(measured !== undefined ? { measured } : {}), ...(detail ? { detail } : {}) });

  if (spec.style === 'tags') {
    if (tags === undefined) {
      add('format', false, undefined, 'the answer is not the JSON tag list asked for');
    } else {
      const n = tags.length;
      add('length', n >= spec.minWords && n <= spec.maxWords, n, `${n} tags; wanted ${spec.minWords}-${spec.maxWords}`);
      const bad = tags.filter(
        (t) => t.length > 40 || words(t).length > 4 || /[.!?]$|[{}<>|\\]/.test(t) || EMPTY_TAGS.has(t),
      );
      add(
        'tags',
        bad.length === 0,
        bad.length,
        bad.length ? `not usable as tags: ${bad.slice(0, 5).join('; ')}` : undefined,
      );
    }
  } else {
    const n = words(text).length;
    add('length', n >= spec.minWords && n <= spec.maxWords, n, `${n} words; wanted ${spec.minWords}-${spec.maxWords}`);
  }

  const refusal = REFUSAL.exec(text);
  add('refusal', !refusal, refusal?.[0], refusal ? `reads as a refusal: "${refusal[0]}"` : undefined);
  const boiler = BOILERPLATE.map((re) => re.exec(text.trim())).find(Boolean);
  add('boilerplate', !boiler, boiler?.[0], boiler ? `boiler-plate: "${boiler[0]}"` : undefined);

  const rep = repetition(text);
  const looping = rep.maxRepeats >= 3 || (rep.distinctRatio < 0.6 && words(text).length >= 12);
  add(
    'repetition',
    !looping,
    rep.maxRepeats,
    looping
      ? `a 3-word phrase repeats ${rep.maxRepeats} times (distinct 3-grams ${Math.round(rep.distinctRatio * 100)}%)`
      : undefined,
  );

  // Language: only where it can be told (prose of a few words, a language tinyld knows).
  if (spec.language && spec.style !== 'tags' && SUPPORTED.has(spec.language) && words(text).length >= 4) {
    const found = detectLanguage(text);
    const ok = found?.lang === spec.language;
    add(
      'language',
      ok,
      found?.lang ?? 'unknown',
      ok ? undefined : `written in ${found?.lang ?? 'an unknown language'}, not ${spec.language}`,
    );
  }

  const total = checks.reduce((s, c) => s + (WEIGHTS[c.name] ?? 1), 0);
  const got = checks.reduce((s, c) => s + (c.passed ? (WEIGHTS[c.name] ?? 1) : 0), 0);
  return { checks, score: Math.round((got / total) * 1000) / 1000, passed: checks.every((c) => c.passed) };
}
