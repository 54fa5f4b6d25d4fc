/**
 * Fails when an installed runtime dependency (anything `npm ls --omit=dev` lists) declares a Node
 * `engines` range that excludes a Node version the project supports: the lowest release of each
 * major in our own `engines` range (20.19 and 22.12 for `>=20.19`). CI runs it after installing,
 * so a dependency bump that would print EBADENGINE on a supported Node fails there, not on a
 * user's machine. Dev tools (the Nest CLI's schematics want Node 22) are out of scope: they are
 * exercised by CI on both majors instead.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const SUPPORTED = ['20.19.0', '22.12.0'];

const root = join(__dirname, '..');
const own = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
  .node;
const supported = SUPPORTED.filter((v) => semver.satisfies(v, own));
const paths = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((p) => p.includes('node_modules'));

const bad: string[] = [];
for (const dir of new Set(paths)) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    engines?: { node?: string };
  };
  const range = pkg.engines?.node;
  if (!range) continue;
  const excluded = supported.filter((v) => !semver.satisfies(v, range, { includePrerelease: true }));
  if (excluded.length > 0) bad.push(`${pkg.name}@${pkg.version} wants node ${range}; excludes ${excluded.join(', ')}`);
}

if (bad.length > 0) {
  process.stderr.write(`runtime dependencies that do not support node ${own}:\n  ${bad.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`${paths.length} runtime packages support node ${supported.join(' and ')}\n`);
