/**
 * Tokenizer playground: type English or Korean, see tokens as colored spans with their ids
 * and character offsets; switch between GPT-2, BERT, a sentencepiece Unigram `.model` (read with
 * readSentencePieceModel), the BPE the CLI trained, and a BPE trained right here in a Web Worker.
 * For a Unigram model the page also shows k sampled segmentations (subword regularization:
 * alpha, nbest size, a seed) beside the Viterbi one.
 */
import { Rng } from '@wordloom/core';
import { Unigram, fromTokenizerJson, readSentencePieceModel, type Tokenizer } from '@wordloom/tokenizer';
import { gzipAwareText, h, notice, trainInWorker, type App } from '../app.js';
import type { BpeDone, BpeProgress } from '../workers/bpe.worker.js';

const SAMPLE = 'The attention layer looks back at every word. 이 영화 정말 재밌어요! 👍🏽';

interface Choice {
  label: string;
  load(app: App): Promise<Tokenizer>;
}

const builtIn: Record<string, Choice> = {
  gpt2: {
    label: 'GPT-2 (byte-level BPE)',
    load: async (app) =>
      fromTokenizerJson(await gzipAwareText(await app.fetchAsset('tokenizers/gpt2-tokenizer.json.gz'))),
  },
  bert: {
    label: 'BERT base uncased (WordPiece)',
    load: async (app) =>
      fromTokenizerJson(await gzipAwareText(await app.fetchAsset('tokenizers/bert-base-uncased-tokenizer.json.gz'))),
  },
  unigram: {
    label: 'sentencepiece Unigram (NSMC, 2,000 pieces, .model)',
    load: async (app) =>
      readSentencePieceModel(new Uint8Array(await (await app.fetchAsset('tokenizers/ko-unigram.model')).arrayBuffer())),
  },
  cli: {
    label: 'BPE trained by the CLI (NSMC)',
    load: async (app) => fromTokenizerJson(await (await app.fetchAsset('models/tokenizer/tokenizer.json')).text()),
  },
};

/** A stable pastel color per token id. */
function color(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 85%)`;
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  const select = h('select', { id: 'tok-choice', 'aria-label': 'tokenizer' });
  for (const [key, c] of Object.entries(builtIn)) select.append(h('option', { value: key }, c.label));
  const input = h('textarea', { id: 'tok-input', 'aria-label': 'text to tokenize' });
  input.value = SAMPLE;
  const status = h('div', { id: 'tok-status', class: 'row' });
  const spans = h('div', { id: 'tok-spans', class: 'tokens' });
  const table = h('table', { id: 'tok-table', class: 'ids' });
  const cache = new Map<string, Tokenizer>();

  // Sampled segmentations (Unigram only): k draws with p(segmentation) ∝ exp(alpha · score).
  const num = (id: string, value: string, extra: Record<string, string> = {}) =>
    h('input', { id, type: 'number', value, ...extra });
  const alphaIn = num('sample-alpha', '0.1', { step: '0.05', min: '0' });
  const nbestIn = num('sample-nbest', '-1', { step: '1' });
  const kIn = num('sample-k', '5', { step: '1', min: '1', max: '20' });
  const seedIn = num('sample-seed', '42', { step: '1' });
  const samples = h('div', { id: 'tok-samples', class: 'samples' });
  const sampling = h(
    'section',
    { id: 'tok-sampling' },
    h('h3', {}, 'Sampled segmentations (subword regularization)'),
    h(
      'p',
      {},
      'A Unigram model can sample a segmentation instead of taking the best one: nbest < 0 samples from the whole lattice, nbest > 1 among the n best, with p ∝ exp(alpha · score) (sentencepiece’s SampleEncode). The same seed gives the same samples.',
    ),
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'alpha ', alphaIn),
      h('label', {}, 'nbest ', nbestIn),
      h('label', {}, 'samples ', kIn),
      h('label', {}, 'seed ', seedIn),
    ),
    samples,
  );
  sampling.hidden = true;

  const trainText = h('textarea', { id: 'train-text', 'aria-label': 'training text' });
  trainText.value = Array(20).fill('low lower lowest newer newest wider widest. 낮은 더 낮은 가장 낮은.').join('\n');
  const vocabInput = h('input', { id: 'train-vocab', type: 'number', value: '300', min: '257', max: '5000' });
  const trainBtn = h('button', { id: 'train-btn' }, 'Train BPE here');
  const bar = h('progress', { id: 'train-progress', max: '1', value: '0' });
  const trainStatus = h('span', { id: 'train-status' });

  root.append(
    h('h2', {}, 'Tokenizer playground'),
    h('div', { class: 'row' }, h('label', {}, 'Tokenizer ', select)),
    input,
    status,
    spans,
    sampling,
    table,
    h('h3', {}, 'Train a small BPE in the page'),
    h(
      'p',
      {},
      'Paste text; a Web Worker counts words and learns merges (byte-level, like GPT-2), then it joins the list above.',
    ),
    trainText,
    h('div', { class: 'row' }, h('label', {}, 'vocabulary size ', vocabInput), trainBtn, bar, trainStatus),
  );

  const show = async () => {
    const key = select.value;
    let tok = cache.get(key);
    if (!tok) {
      status.replaceChildren(`loading ${select.selectedOptions[0]?.textContent ?? key}…`);
      try {
        tok = await builtIn[key].load(app);
      } catch (e) {
        status.replaceChildren(notice((e as Error).message, 'error'));
        spans.replaceChildren();
        table.replaceChildren();
        return;
      }
      cache.set(key, tok);
    }
    const text = input.value;
    const enc = tok.encode(text);
    status.replaceChildren(`${enc.ids.length} tokens, ${text.length} characters`);
    spans.replaceChildren(
      ...enc.tokens.map((t, i) => {
        const [s, e] = enc.offsets[i];
        const span = h(
          'span',
          { class: 'tok', title: `id ${enc.ids[i]} · token ${JSON.stringify(t)} · offsets [${s}, ${e})` },
          text.slice(s, e) || t,
          h('sub', {}, String(enc.ids[i])),
        );
        span.style.background = color(enc.ids[i]);
        return span;
      }),
    );
    table.replaceChildren(
      h(
        'tr',
        {},
        h('th', {}, '#'),
        h('th', {}, 'token'),
        h('th', {}, 'id'),
        h('th', {}, 'offsets'),
        h('th', {}, 'text'),
      ),
      ...enc.tokens.map((t, i) =>
        h(
          'tr',
          {},
          h('td', {}, String(i)),
          h('td', {}, t),
          h('td', {}, String(enc.ids[i])),
          h('td', {}, `${enc.offsets[i][0]}–${enc.offsets[i][1]}`),
          h('td', {}, text.slice(...enc.offsets[i])),
        ),
      ),
    );
    root.dataset.ids = Array.from(enc.ids).join(',');
    showSamples(tok, text, enc.tokens, enc.ids);
  };

  let current: { tok: Tokenizer; text: string; tokens: string[]; ids: Int32Array } | null = null;
  const pieceRow = (label: string, tokens: string[], ids: ArrayLike<number>, kind: string) =>
    h(
      'div',
      { class: 'row sample', 'data-kind': kind },
      h('span', { class: 'sample-label', style: 'min-width: 6em; font-weight: 600' }, label),
      h(
        'span',
        { class: 'tokens' },
        ...tokens.map((t, i) => {
          const span = h('span', { class: 'tok', title: `id ${ids[i]}` }, t);
          span.style.background = color(ids[i]!);
          return span;
        }),
      ),
    );
  function showSamples(tok: Tokenizer, text: string, tokens: string[], ids: Int32Array): void {
    current = { tok, text, tokens, ids };
    if (!(tok.model instanceof Unigram)) {
      sampling.hidden = true;
      delete samples.dataset.samples;
      return;
    }
    sampling.hidden = false;
    const alpha = Number(alphaIn.value);
    const nbestSize = Number(nbestIn.value);
    const k = Number(kIn.value);
    const seed = Number(seedIn.value);
    const bad = !(Number.isFinite(alpha) && alpha >= 0)
      ? `alpha must be a number ≥ 0, got '${alphaIn.value}'`
      : !Number.isInteger(nbestSize)
        ? `nbest must be an integer, got '${nbestIn.value}'`
        : !(Number.isInteger(k) && k >= 1 && k <= 20)
          ? `samples must be an integer from 1 to 20, got '${kIn.value}'`
          : !Number.isInteger(seed)
            ? `seed must be an integer, got '${seedIn.value}'`
            : null;
    if (bad !== null) {
      samples.replaceChildren(notice(bad, 'error'));
      delete samples.dataset.samples;
      return;
    }
    // One seeded stream for the k draws: the same seed gives the same k samples.
    const rng = new Rng(seed);
    const drawn: string[][] = [];
    const rows = [pieceRow('Viterbi', tokens, ids, 'viterbi')];
    for (let i = 0; i < k; i++) {
      const e = tok.encode(text, { sampling: { alpha, nbestSize, random: () => rng.uniform() } });
      drawn.push(e.tokens);
      rows.push(pieceRow(`sample ${i + 1}`, e.tokens, e.ids, 'sample'));
    }
    samples.replaceChildren(...rows);
    samples.dataset.viterbi = JSON.stringify(tokens);
    samples.dataset.samples = JSON.stringify(drawn);
  }
  for (const el of [alphaIn, nbestIn, kIn, seedIn])
    el.addEventListener('input', () => {
      if (current) showSamples(current.tok, current.text, current.tokens, current.ids);
    });

  trainBtn.addEventListener('click', () => {
    const worker = new Worker(new URL('../workers/bpe.worker.ts', import.meta.url), { type: 'module' });
    trainInWorker<BpeProgress, BpeDone>(
      worker,
      { text: trainText.value, vocabSize: Number(vocabInput.value) },
      {
        button: trainBtn,
        status: trainStatus,
        starting: 'counting words…',
        onProgress: (m) => {
          bar.max = Math.max(1, m.totalMerges);
          bar.value = m.merges;
          trainStatus.textContent = `${m.merges}/${m.totalMerges} merges · ${m.rate.toFixed(0)} merges/s · ETA ${(m.etaMs / 1000).toFixed(1)} s`;
        },
        onDone: (m) => {
          bar.value = bar.max;
          trainStatus.textContent = `done: ${m.merges} merges, vocabulary ${m.vocabSize}, ${(m.ms / 1000).toFixed(2)} s`;
          const key = `page-${Date.now()}`;
          cache.set(key, fromTokenizerJson(m.json));
          select.append(h('option', { value: key }, `BPE trained here (${m.vocabSize})`));
          select.value = key;
          void show();
        },
      },
    );
  });

  select.addEventListener('change', () => void show());
  input.addEventListener('input', () => void show());
  await show();
}
