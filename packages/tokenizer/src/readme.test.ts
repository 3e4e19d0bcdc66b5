// Runs the README's "Use" example. The code between the README markers below must appear
// verbatim in README.md (checked by the last test), so the README cannot drift from code that runs.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, '../test/fixtures');
const outDir = mkdtempSync(join(tmpdir(), 'wordloom-readme-'));
// the README uses these two paths
const corpusFile = join(fixtures, 'train-corpus.txt');
const gpt2Json = gunzipSync(readFileSync(join(fixtures, 'gpt2-tokenizer.json.gz'))).toString('utf8');
const gpt2Path = join(outDir, 'gpt2-tokenizer.json');
await (await import('node:fs/promises')).writeFile(gpt2Path, gpt2Json);

describe('README example', () => {
  it('runs', async () => {
    const log: unknown[] = [];
    const console = { log: (...a: unknown[]) => log.push(a.length === 1 ? a[0] : a) };
    // README:start
    const {
      Tokenizer,
      BPE,
      ByteLevel,
      ByteLevelDecoder,
      TemplateProcessing,
      byteLevelAlphabet,
      writeTokenizerFile,
      readTokenizerFile,
    } = await import('@wordloom/tokenizer');

    // 1. Train a byte-level BPE (GPT-2 style) on a corpus file (.gz works too).
    const tok = new Tokenizer({
      model: new BPE({ vocab: new Map(), merges: [] }),
      preTokenizer: new ByteLevel(),
      decoder: new ByteLevelDecoder(),
    });
    await tok.train(
      { files: [corpusFile] },
      {
        vocabSize: 2000,
        specialTokens: ['<pad>', '<s>', '</s>'],
        initialAlphabet: byteLevelAlphabet(), // every byte: no unknown tokens, ever
        onProgress: (p) => p.merges % 500 === 0 && console.log(`${p.merges} merges, ${p.rate.toFixed(0)}/s`),
      },
    );
    tok.setSpecialToken('pad', '<pad>');
    tok.postProcessor = new TemplateProcessing({
      single: '<s> $A </s>',
      specialTokens: [
        ['<s>', tok.tokenToId('<s>')!],
        ['</s>', tok.tokenToId('</s>')!],
      ],
    });

    // 2. Save as a Hugging Face tokenizer.json and load it back.
    await writeTokenizerFile(tok, join(outDir, 'tokenizer.json'));
    const loaded = await readTokenizerFile(join(outDir, 'tokenizer.json'));
    loaded.setSpecialToken('pad', '<pad>');

    // 3. Encode a batch for a model: padded, with attention masks.
    const batch = loaded.encodeBatch(['The village has a population of 796.', '정말 재밌어요'], {
      padding: 'longest',
      truncation: 'longest_first',
      maxLength: 64,
    });
    console.log(batch.ids[1]); // Int32Array [1, …, 2, 0, 0, …]
    console.log(batch.attentionMask[1]); // Uint8Array [1, …, 1, 0, 0, …]
    console.log(batch.encodings[0]!.offsets[1]); // [0, 3]: character offsets of 'The' in the input

    // 4. Decode.
    console.log(loaded.decodeBatch(batch.ids, { skipSpecialTokens: true }));
    // ['The village has a population of 796.', '정말 재밌어요']

    // 5. Load GPT-2 from a tokenizer.json (merges as pairs or as "a b" strings).
    const gpt2 = await readTokenizerFile(gpt2Path);
    console.log(gpt2.encodeIds('Hello world')); // Int32Array [15496, 995]
    console.log(gpt2.encode('Hello <|endoftext|>').ids); // special-token text is plain text…
    console.log(gpt2.encode('Hello <|endoftext|>', undefined, { allowedSpecial: 'all' }).ids); // …unless allowed: [15496, 220, 50256]
    // README:end
    const decoded = log.find((x) => Array.isArray(x) && typeof x[0] === 'string' && x.length === 2) as string[];
    expect(decoded).toEqual(['The village has a population of 796.', '정말 재밌어요']);
    const idsLine = log.find((x) => x instanceof Int32Array && x[0] === 15496);
    expect(Array.from(idsLine as Int32Array)).toEqual([15496, 995]);
    const allowed = log[log.length - 1] as Int32Array;
    expect(Array.from(allowed)).toEqual([15496, 220, 50256]);
    const mask = log.find((x) => x instanceof Uint8Array) as Uint8Array;
    expect(mask[0]).toBe(1);
    expect(mask[mask.length - 1]).toBe(0);
    expect(log).toContainEqual([0, 3]);
    expect(log.some((x) => typeof x === 'string' && /merges/.test(x))).toBe(true);
  });

  it('README.md contains the example verbatim', () => {
    const src = readFileSync(join(here, 'readme.test.ts'), 'utf8');
    const start = src.indexOf('// README:start\n') + '// README:start\n'.length;
    const end = src.lastIndexOf('    // README:end');
    const code = src
      .slice(start, end)
      .split('\n')
      .map((l) => l.replace(/^ {4}/, ''))
      .join('\n')
      .trim();
    const readme = readFileSync(join(here, '../README.md'), 'utf8');
    expect(readme).toContain(code);
  });
});
