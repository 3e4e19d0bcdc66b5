/**
 * Tokenizer playground: type English or Korean, see tokens as colored spans with their ids
 * and character offsets; switch between GPT-2, BERT, the BPE the CLI trained, and a BPE
 * trained right here in a Web Worker.
 */
import { fromTokenizerJson, type Tokenizer } from '@wordloom/tokenizer';
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
  };

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
