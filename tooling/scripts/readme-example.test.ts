import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractUseExample, readmeExample, runExample, typecheckExample } from './readme-example.js';

const fence = '```';

describe('extractUseExample', () => {
  it('takes the first ts block of "## Use", up to the first line that is exactly a fence', () => {
    const readme = [
      '# pkg',
      '## Install',
      `${fence}sh`,
      'npm install pkg',
      fence,
      '## Use',
      'Some prose.',
      `${fence}ts`,
      "const end = src.lastIndexOf('    // README:end');",
      `const fence = '${fence}';`,
      `console.log('${fence}\\n');`,
      fence,
      `${fence}ts`,
      'second();',
      fence,
      '## API',
    ].join('\n');
    expect(extractUseExample(readme)).toEqual({
      code: `const end = src.lastIndexOf('    // README:end');\nconst fence = '${fence}';\nconsole.log('${fence}\\n');\n`,
      line: 9,
    });
  });

  it('names what is wrong', () => {
    expect(() => extractUseExample('# x\n## Usage\n')).toThrow('README.md: no "## Use" section');
    expect(() => extractUseExample('## Use\ntext\n## API\n```ts\nx\n```\n')).toThrow('has no fenced code block');
    expect(() => extractUseExample('## Use\n```js\nx\n```\n')).toThrow(
      'README.md:2: the first example of "## Use" must be a ```ts block, found ```js',
    );
    expect(() => extractUseExample('## Use\n```ts\nx\n```js\n', 'pkg/README.md')).toThrow(
      'pkg/README.md:2: the ```ts block of "## Use" is never closed',
    );
  });
});

describe('typecheckExample', () => {
  it('reports a type error at its README line, strict, and cleans up its temporary file', () => {
    const pkg = mkdtempSync(join(tmpdir(), 'wordloom-readme-check-'));
    try {
      mkdirSync(join(pkg, 'src'));
      writeFileSync(join(pkg, 'package.json'), '{ "name": "x", "type": "module" }');
      writeFileSync(
        join(pkg, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            types: [],
          },
        }),
      );
      const ok = '## Use\n\n```ts\nconst n: number = 1;\nexport const m = n + 1;\n```\n';
      writeFileSync(join(pkg, 'README.md'), ok);
      const testUrl = pathToFileURL(join(pkg, 'src', 'first-example.test.ts')).href;
      expect(typecheckExample(readmeExample(testUrl))).toEqual([]);
      // An implicit any (strict) on README line 5, column 21.
      writeFileSync(join(pkg, 'README.md'), ok.replace('export const m = n + 1;', 'export const f = (x) => n + x;'));
      const errors = typecheckExample(readmeExample(testUrl));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^README\.md:5:19 TS7006: Parameter 'x' implicitly has an 'any' type\.$/u);
      expect(readdirSync(pkg).sort()).toEqual(['README.md', 'package.json', 'src', 'tsconfig.json']);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});

describe('runExample', () => {
  it('replaces only whole string literals it is given, and refuses one the example lacks', async () => {
    const example = { packageDir: tmpdir(), code: "const path = 'data/reviews.txt';\n", line: 1 };
    await expect(runExample(example, { files: { 'reviews.txt': '/x' } })).rejects.toThrow(
      "runExample: the README example has no string literal 'reviews.txt'",
    );
  });
});
