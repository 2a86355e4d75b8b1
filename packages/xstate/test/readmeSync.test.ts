import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('README', () => {
  it('shows test/readme.test.ts verbatim, so its example is the one that runs', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const example = readFileSync(join(__dirname, 'readme.test.ts'), 'utf8').split('\n').slice(1).join('\n');
    expect(readme).toContain('```ts\n' + example + '```');
  });
});
