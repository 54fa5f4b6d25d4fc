import { normalizedForms } from './normalize-input';

export const THREAT_FAMILIES = [
  'xss',
  'sql-injection',
  'path-traversal',
  'command-injection',
  'prototype-pollution',
] as const;
export type ThreatFamily = (typeof THREAT_FAMILIES)[number];

export const THREAT_LABELS: Record<ThreatFamily, string> = {
  xss: 'cross-site scripting',
  'sql-injection': 'SQL injection',
  'path-traversal': 'path traversal',
  'command-injection': 'command injection',
  'prototype-pollution': 'prototype pollution',
};

/*
 * Signatures look for the *structure* of an attack, not for keywords: "select", "update", "drop",
 * "union", "script", "file", "id", "cat" are ordinary words and never match on their own. Each rule
 * needs a context an honest sentence does not have (a quote breaking out of a literal, a tag with
 * an event handler, a shell metacharacter followed by a command and its arguments, ...).
 */

const XSS: RegExp[] = [
  /<\s*\/?\s*(script|iframe|frame|frameset|object|embed|applet|base|meta)\b/,
  /<\s*[a-z][\w:-]*(\s|\/)[^>]*?\bon[a-z]{3,}\s*=/, // tag with an event handler
  /<\s*[a-z][\w:-]*[\s/][^>]*?\b(src|href|action|formaction|data|xlink:href|background|dynsrc|lowsrc)\s*=\s*["'`]?\s*(javascript|vbscript|livescript|data\s*:\s*text\/html)/,
  /\b(javascript|vbscript|livescript)\s*:(?!\s|$)/,
  /\bdata\s*:\s*text\/html\s*[;,]/,
  /\bon(error|load|mouseover|focus|click|toggle|begin|start|animationstart|pageshow)\s*=\s*["'`]?[\w.$]*\s*\(/,
  /\bexpression\s*\(|-moz-binding\s*:|\bsrcdoc\s*=/,
  /\bconstructor\.constructor\s*\(|\{\{[^}]*\b(constructor|alert|\$eval|prompt)\b[^}]*\}\}/,
  /\bdocument\s*\.\s*(cookie|domain|write\s*\()|\bwindow\s*\.\s*location\s*=|\b(alert|prompt|confirm)\(\s*(document|window|\d|['"`]|\/)/,
  /<\s*(svg|img|image|body|video|audio|input|details|marquee|isindex|math|a|div|x)\b[^>]*?\/\s*on[a-z]+\s*=/,
];

const SQL: RegExp[] = [
  /['"`)]\s*(or|and|xor|\|\||&&)\s+(\(?\s*['"]?\w*['"]?\s*(=|<>|!=|<|>|\blike\b|\bis\b)|true\b|false\b|\d+\s*(--|#|$)|(not\s+)?exists\s*\(|\(\s*select\b)/,
  /'\s*(--(\s|$|\+|-)|#(\s|$)|\/\*)|"(--|#|\/\*)/,
  /\b(or|and)\s+(\d+)\s*=\s*\2\b/,
  /'(\w+)'\s*=\s*'\1\b/,
  /\bunion\b(\s|\/\*.*?\*\/|\+)+(all\s+|distinct\s+)?select\b[\s\S]{0,80}?(\bfrom\b|\bnull\b|\d|@@|\(|,|\*)/,
  /;\s*(drop\s+(table|database|schema|user|view)|delete\s+from|insert\s+into|update\s+\w+\s+set|truncate\s+table|alter\s+(table|user)|create\s+(user|table|login)|shutdown\b|declare\s+@|exec(ute)?\s+(xp_|sp_|master\.|\())/,
  /\b(pg_)?sleep\s*\(\s*\d+(\.\d+)?\s*\)|\bbenchmark\s*\(\s*\d+\s*,|\bwaitfor\s+(delay|time)\s+['"]/,
  /\b(xp_cmdshell|sp_executesql|sp_oacreate|information_schema\.|sysobjects|pg_catalog\.|sqlite_master|load_file\s*\(|into\s+(out|dump)file\b|utl_http\.|dbms_pipe\.|extractvalue\s*\(|updatexml\s*\()/,
  /@@(version|datadir|hostname|servername)\b|\bversion\s*\(\s*\)\s*(--|#|,)/,
  /['"`]\s*(order|group)\s+by\s+\d+|\border\s+by\s+\d+\s*(--|#)|['"`]\s*having\s+\d|\bhaving\s+(\d+)\s*=\s*\3\b/,
  /\bchar\s*\(\s*\d+\s*(,\s*\d+\s*)+\)|\bconcat(_ws)?\s*\(\s*(0x[0-9a-f]+|char\s*\(|@@|user\s*\(|database\s*\()/,
  /\b(select|union)\b[^;]{0,60}\b(user|database|current_user|system_user)\s*\(\s*\)/,
];

const TRAVERSAL: RegExp[] = [
  /(\.\.[\\/]){2,}|(^|[\\/=])\.\.\\|[\\/]\.\.[\\/]\.\./,
  /\.\.[\\/]+(etc|windows|winnt|boot\.ini|proc|root|var|usr|home|system32|inetpub|\.ssh|\.env|\.git|web\.config|wp-config)/,
  /\/etc\/(passwd|shadow|group|sudoers)\b|\/proc\/self\/(environ|cmdline|fd|maps)|\bwin\.ini\b|\bboot\.ini\b|system32\\config\\sam|\.htpasswd\b/,
  /\bfile:\/\/+(etc|c:|windows|proc|root|var)\b/,
  /(%2e|%252e){2}|\.\.(%2f|%5c|%252f|%255c)|%c0%ae|%c0%af|%c1%9c|%u002e/,
  // eslint-disable-next-line no-control-regex -- a NUL byte in text input is itself the signal
  /\u0000|%00/,
];

/** Commands that are not also everyday words: a shell metacharacter before them is enough. */
const STRONG_COMMANDS =
  'whoami|uname|ifconfig|ipconfig|nslookup|netcat|ncat|nc|wget|curl|bash|sh|zsh|ksh|dash|powershell|pwsh|cmd|certutil|bitsadmin|systeminfo|tasklist|printenv|crontab|useradd|xterm|ls|pwd|netstat|hostname';
/** Commands that are also words ("cat", "type", "find"): they need an argument that looks like one. */
const WEAK_COMMANDS =
  'cat|rm|cp|mv|ping|telnet|python\\d?|perl|ruby|php|node|echo|sleep|dir|type|more|head|tail|chmod|chown|kill|find|awk|sed|tftp|ftp|ssh|scp|env|base64|nohup|timeout|net|dig|host|passwd|exec|eval|touch|mkdir|nmap|sudo|su';
const SHELL_ARGUMENT = String.raw`(-{1,2}[a-z]|\/|\$|~|\.{1,2}\/|[\w-]+\.[a-z]{2,}(\s|$|[:/])|\d+(\.\d+){3}|\d+\s+[-/]|['"]|[a-z]:\\)`;
/** A backtick is not one: Markdown uses it for inline code. Command substitution has its own rules. */
const META = String.raw`([;&|\n\r]|\$\()`;

const COMMAND: RegExp[] = [
  new RegExp(String.raw`${META}\s*(${STRONG_COMMANDS})(\s|$|[;&|#\x60)<>])`),
  new RegExp(String.raw`[;&|\n\r]\s*(${WEAK_COMMANDS})\s+${SHELL_ARGUMENT}`),
  new RegExp(String.raw`([;\n\r]|&&|\|\|)\s*(${WEAK_COMMANDS}|id)\s*($|[;&|#])|\|\s*(${WEAK_COMMANDS}|id)\s*$`),
  /[;&|\n]\s*sleep\s+\d+\s*($|[;&|#])|[;&|\n]\s*net\s+(user|localgroup|use|view|share)\b/,
  new RegExp(String.raw`^\s*\x60\s*(${STRONG_COMMANDS}|${WEAK_COMMANDS}|id)\b[^\x60]*\x60\s*$`),
  new RegExp(
    String.raw`\$\(\s*(${STRONG_COMMANDS}|${WEAK_COMMANDS}|id)\b[^)]*\)|\$\{ifs\}|\$ifs\$\d|\{\s*(${STRONG_COMMANDS}|${WEAK_COMMANDS}),[^}\s]+\}`,
  ),
  new RegExp(String.raw`\S\x60\s*(${STRONG_COMMANDS}|${WEAK_COMMANDS}|id)\b[^\x60]*\x60`),
  /\/dev\/(tcp|udp)\/|\b(ba)?sh\s+-[ic]\b|\bcmd(\.exe)?\s+\/[ck]\b|\bpowershell(\.exe)?\s+-(e|enc|encodedcommand|c|command|nop|w)\b|\b[12]?>&\s*[12]\b|>\s*\/dev\/null|\/bin\/(ba)?sh\b/,
  /\|\s*(sh|bash|nc|python\d?|perl)\b|\b(curl|wget)\s+\S+\s*\|/,
];

const PROTO: RegExp[] = [
  /__proto__/,
  /\bconstructor\s*(\.|\[\s*['"]?)\s*prototype\b/,
  /\[\s*['"]?prototype['"]?\s*\]/,
  /"constructor"\s*:\s*\{\s*"prototype"\s*:/,
];

const RULES: [ThreatFamily, RegExp[]][] = [
  ['prototype-pollution', PROTO],
  ['xss', XSS],
  ['sql-injection', SQL],
  ['path-traversal', TRAVERSAL],
  ['command-injection', COMMAND],
];

/** Longest prefix of a string that is inspected; payloads sit at the start of a field in practice. */
export const MAX_INSPECTED_LENGTH = 16_384;

/**
 * Every signature needs one of these characters or words (or an encoding of one, which needs
 * `%`, `&`, `\` or a non-ASCII character): a value without any cannot match, and most ordinary
 * text is rejected here without running the signatures. A unit test holds this against the corpus.
 */
const MAY_MATCH =
  // eslint-disable-next-line no-control-regex -- control and zero-width characters can hide keywords
  /[<>"'`;|&$(){}[\]\\/%#=:@_\n\r\u0000-\u0008\u000b\u000c\u000e-\u001f\u0080-\uffff]|--|union|\.ini\b|htpasswd|\bsh\s+-|powershell|prototype|document/i;

/** False when no signature can match the value: the cheap test that runs first. */
export function mayContainThreat(value: string): boolean {
  return MAY_MATCH.test(value);
}

/** The first threat family whose signature matches the value (in any normalised form), if any. */
export function detectThreat(value: string): ThreatFamily | undefined {
  if (!MAY_MATCH.test(value.length > MAX_INSPECTED_LENGTH ? value.slice(0, MAX_INSPECTED_LENGTH) : value))
    return undefined;
  return matchSignatures(value);
}

/** {@link detectThreat} without the prefilter (exported for the test that keeps the two in step). */
export function matchSignatures(value: string): ThreatFamily | undefined {
  const forms = normalizedForms(value.length > MAX_INSPECTED_LENGTH ? value.slice(0, MAX_INSPECTED_LENGTH) : value);
  for (const [family, rules] of RULES) {
    for (const form of forms) {
      if (rules.some((r) => r.test(form))) return family;
    }
  }
  return undefined;
}

/** Object keys are attacker-controlled too; a key that pollutes prototypes is a threat on its own. */
export function detectThreatInKey(key: string): ThreatFamily | undefined {
  if (key === '__proto__' || key === 'prototype' || /__proto__|constructor\s*[.[]\s*['"]?prototype/.test(key)) {
    return 'prototype-pollution';
  }
  return detectThreat(key);
}
