// Training golden: train BPE (byte-level and char-level) and WordPiece with HF and with
// ours on the same committed corpus and the same settings; record HF's merges/vocab and
// where they differ. Then train + save a tokenizer with ours, load it in HF, and record HF's
// encodings of the golden texts (the test re-checks our side).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export async function run({ hf, ours, out, data, english, nsmc, write, writeGz, hfEncode, hfVersion }) {
  // corpus: 150 Wikipedia lines + 400 NSMC reviews (after the 50 used for encoding tests)
  const wiki = gunzipSync(readFileSync(join(data, 'enwiki-slice/wiki_AB.txt.gz')))
    .toString('utf8')
    .split('\n');
  const lines = [];
  for (let i = 0; i < wiki.length && lines.length < 150; i += 1500) {
    const l = wiki[i];
    if (!l.startsWith('<') && l.length > 40) lines.push(l);
  }
  const ko = gunzipSync(readFileSync(join(data, 'nsmc/ratings_test.txt.gz')))
    .toString('utf8')
    .split('\n')
    .slice(51, 451)
    .map((l) => l.split('\t')[1]);
  const corpusText = [...lines, ...ko].join('\n') + '\n';
  write('train-corpus.txt', corpusText);
  const corpusPath = join(out, 'train-corpus.txt');

  const configs = {
    'bpe-bytelevel': {
      hfModel: () => hf.BPE.empty(),
      setup: (t) => t.setPreTokenizer(hf.byteLevelPreTokenizer(false, true)),
      oursOptions: { preTokenizer: new ours.ByteLevel({ addPrefixSpace: false }) },
      kind: 'bpe',
    },
    'bpe-whitespace-lowercase': {
      hfModel: () => hf.BPE.empty(),
      setup: (t) => {
        t.setNormalizer(hf.sequenceNormalizer([hf.nfkcNormalizer(), hf.lowercase()]));
        t.setPreTokenizer(hf.whitespacePreTokenizer());
      },
      oursOptions: {
        normalizer: new ours.NormalizerSequence([new ours.UnicodeNormalizer('NFKC'), new ours.Lowercase()]),
        preTokenizer: new ours.Whitespace(),
      },
      kind: 'bpe',
    },
    'wordpiece-bert': {
      hfModel: () => hf.WordPiece.empty(),
      setup: (t) => {
        t.setNormalizer(hf.bertNormalizer({ lowercase: true }));
        t.setPreTokenizer(hf.bertPreTokenizer());
      },
      oursOptions: {
        normalizer: new ours.BertNormalizer({ lowercase: true }),
        preTokenizer: new ours.BertPreTokenizer(),
      },
      kind: 'wordpiece',
    },
  };
  const results = {};
  for (const [name, cfg] of Object.entries(configs)) {
    const t = new hf.Tokenizer(cfg.hfModel());
    cfg.setup(t);
    t.train([corpusPath]); // HF's default trainer: vocabSize 30000, minFrequency 0, no special tokens
    const path = `/tmp/wordloom-train-${name}.json`;
    t.save(path);
    const model = JSON.parse(readFileSync(path, 'utf8')).model;
    const hfMerges = (model.merges ?? []).map((m) => (typeof m === 'string' ? m.split(' ') : m));
    const hfVocab = model.vocab;
    let oursRes;
    if (cfg.kind === 'bpe') oursRes = await ours.trainBpe({ files: [corpusPath] }, cfg.oursOptions);
    else oursRes = await ours.trainWordPiece({ files: [corpusPath] }, cfg.oursOptions);
    const oursMerges = oursRes.merges ?? [];
    let firstDiff = -1;
    const n = Math.max(hfMerges.length, oursMerges.length);
    let diffs = 0;
    for (let i = 0; i < n; i++) {
      if (JSON.stringify(hfMerges[i]) !== JSON.stringify(oursMerges[i])) {
        diffs++;
        if (firstDiff < 0) firstDiff = i;
      }
    }
    let vocabDiffs = 0;
    const ov = oursRes.vocab;
    for (const [k, v] of Object.entries(hfVocab)) if (ov.get(k) !== v) vocabDiffs++;
    vocabDiffs += Math.abs(ov.size - Object.keys(hfVocab).length);
    const hfSet = new Set(Object.keys(hfVocab));
    let common = 0;
    for (const k of ov.keys()) if (hfSet.has(k)) common++;
    // HF's own run-to-run agreement: train a second time
    const t2 = new hf.Tokenizer(cfg.hfModel());
    cfg.setup(t2);
    t2.train([corpusPath]);
    t2.save(path + '.2');
    const model2 = JSON.parse(readFileSync(path + '.2', 'utf8')).model;
    const hfRunsIdentical =
      JSON.stringify(model2.vocab) === JSON.stringify(hfVocab) &&
      JSON.stringify(model2.merges ?? []) === JSON.stringify(model.merges ?? []);
    results[name] = {
      hfRunsIdentical,
      commonTokens: common,
      hfMerges: hfMerges.length,
      oursMerges: oursMerges.length,
      mergeDiffs: diffs,
      firstDiff,
      vocabSize: Object.keys(hfVocab).length,
      oursVocabSize: ov.size,
      vocabDiffs,
    };
    console.log(name, results[name]);
    writeGz(
      `train-golden-${name}.json.gz`,
      JSON.stringify({ source: `tokenizers ${hfVersion}`, merges: hfMerges, vocab: hfVocab }) + '\n',
    );
  }
  write('train-golden-summary.json', JSON.stringify(results, null, 1) + '\n');

  // ours: train + save -> HF loads -> encodes the golden texts
  const tok = new ours.Tokenizer({
    model: new ours.BPE({ vocab: new Map(), merges: [] }),
    preTokenizer: new ours.ByteLevel({ addPrefixSpace: false }),
    decoder: new ours.ByteLevelDecoder(),
  });
  await tok.train(
    { files: [corpusPath] },
    {
      vocabSize: 2000,
      specialTokens: ['<pad>', '<s>', '</s>'],
      initialAlphabet: ours.byteLevelAlphabet(),
      minFrequency: 2,
    },
  );
  tok.postProcessor = new ours.TemplateProcessing({
    single: '<s> $A </s>',
    pair: '<s> $A </s> $B:1 </s>:1',
    specialTokens: [
      ['<s>', tok.tokenToId('<s>')],
      ['</s>', tok.tokenToId('</s>')],
    ],
  });
  const savedJson = ours.toTokenizerJson(tok);
  write('ours-trained-tokenizer.json', savedJson + '\n');
  const hfTok = hf.Tokenizer.fromString(savedJson);
  const texts = [...english.slice(0, 15), ...nsmc.slice(0, 15), 'a <s> b </s>', ''];
  const cases = [];
  let same = 0;
  for (const text of texts) {
    const e = await hfEncode(hfTok, text);
    const o = tok.encode(text, undefined, { allowedSpecial: 'all' });
    const eq =
      JSON.stringify([e.ids, e.tokens, e.offsets]) === JSON.stringify([Array.from(o.ids), o.tokens, o.offsets]);
    if (eq) same++;
    cases.push({ text, ...e, decoded: await hfTok.decode(e.ids, true) });
  }
  console.log(`ours-trained tokenizer.json in HF: ${same}/${texts.length} encodings identical`);
  write(
    'ours-trained-hf-golden.json',
    JSON.stringify({ source: `tokenizers ${hfVersion}`, identical: same, total: texts.length, cases }) + '\n',
  );
}
