import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declaredEnvVars } from '../scripts/list-env';

/** Every variable an env schema declares is documented and appears in .env.example. */
describe('Configuration docs', () => {
  const root = join(__dirname, '..');
  const vars = declaredEnvVars(root).map((v) => v.name);
  const docs = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  const example = readFileSync(join(root, '.env.example'), 'utf8');

  it('should find the declared variables', () => {
    expect(vars).toEqual(expect.arrayContaining(['PORT', 'LOG_LEVEL', 'HTTP_BODY_LIMIT']));
  });

  it.each(vars)('should document %s in docs/configuration.md', (name) => {
    expect(docs).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|`));
  });

  it.each(vars)('should list %s in .env.example', (name) => {
    expect(example).toMatch(new RegExp(`^#?\\s*${name}=`, 'm'));
  });
});
