/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';

const example = readmeExample(import.meta.url);
const fixture = (name: string): string => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('trains, saves, reloads, encodes, decodes and loads GPT-2 as its comments say', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wordloom-readme-'));
    try {
      const gpt2 = join(dir, 'gpt2-tokenizer.json');
      writeFileSync(gpt2, gunzipSync(readFileSync(fixture('gpt2-tokenizer.json.gz'))));
      const logs = await runExample(example, {
        files: {
          'corpus.txt': fixture('train-corpus.txt'),
          'tokenizer.json': join(dir, 'tokenizer.json'),
          'gpt2/tokenizer.json': gpt2,
        },
      });
      const out = logs.map((l) => (l.length === 1 ? l[0] : l));
      expect(out.some((x) => typeof x === 'string' && /^\d+ merges, \d+\/s$/u.test(x))).toBe(true);
      const rest = out.filter((x) => typeof x !== 'string');
      expect(rest).toHaveLength(7);
      const [ids, mask, offsets, decoded, hello, plain, allowed] = rest as [
        Int32Array,
        Uint8Array,
        number[],
        string[],
        Int32Array,
        Int32Array,
        Int32Array,
      ];
      expect(ids).toBeInstanceOf(Int32Array);
      expect([ids[0], ids.at(-1)]).toEqual([1, 0]); // <s> … </s> <pad>…
      expect(ids.indexOf(2)).toBeGreaterThan(1);
      expect(mask).toBeInstanceOf(Uint8Array);
      expect(Array.from(mask)).toEqual(Array.from(ids, (id) => (id === 0 ? 0 : 1)));
      expect(offsets).toEqual([0, 3]);
      expect(decoded).toEqual(['The village has a population of 796.', '정말 재밌어요']);
      expect(Array.from(hello)).toEqual([15496, 995]);
      expect(plain.length).toBeGreaterThan(3);
      expect(Array.from(allowed)).toEqual([15496, 220, 50256]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
