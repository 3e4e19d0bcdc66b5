/**
 * Embedding explorer: word vectors exported by the CLI (word2vec text format) or trained
 * here in a Web Worker; a 2-D PCA scatter of chosen words, nearest neighbours, and the
 * analogy a − b + c with its answer highlighted.
 */
import { KeyedVectors, pca2d, readWord2VecFormat } from '@wordloom/embeddings';
import { h, notice, trainInWorker, type App } from '../app.js';
import { scatter } from '../svg.js';
import type { W2vDone, W2vProgress } from '../workers/w2v.worker.js';

const DEFAULT_WORDS = 'king queen man woman prince princess father mother boy girl city town river lake';

export async function render(root: HTMLElement, app: App): Promise<void> {
  let kv: KeyedVectors | undefined;
  const source = h('div', { id: 'emb-source', class: 'row' });
  const words = h('input', { id: 'emb-words', type: 'text', 'aria-label': 'words to plot' });
  words.value = DEFAULT_WORDS;
  const plot = h('div', { id: 'emb-plot' });
  const query = h('input', { id: 'emb-query', type: 'text', value: 'king', 'aria-label': 'word for neighbours' });
  const neighbours = h('ol', { id: 'emb-neighbours' });
  const [a, b, c] = ['king', 'man', 'woman'].map((w, i) =>
    h('input', { id: `emb-analogy-${'abc'[i]}`, type: 'text', value: w, size: '10' }),
  );
  const analogyOut = h('div', { id: 'emb-analogy-out' });
  const trainText = h('textarea', { id: 'w2v-text', 'aria-label': 'training text' });
  const trainBtn = h('button', { id: 'w2v-train' }, 'Train word2vec here');
  const bar = h('progress', { id: 'w2v-progress', max: '1', value: '0' });
  const trainStatus = h('span', { id: 'w2v-status' });

  root.append(
    h('h2', {}, 'Embedding explorer'),
    source,
    h('label', {}, 'Words to plot (PCA to 2-D) ', words),
    plot,
    h('h3', {}, 'Nearest neighbours'),
    h('div', { class: 'row' }, query),
    neighbours,
    h('h3', {}, 'Analogy: a − b + c'),
    h('div', { class: 'row' }, a, ' − ', b, ' + ', c, ' = ', analogyOut),
    h('h3', {}, 'Train a small model in the page'),
    h('p', {}, 'Skip-gram with negative sampling, one Web Worker, seeded — the same code as the CLI.'),
    trainText,
    h('div', { class: 'row' }, trainBtn, bar, trainStatus),
  );

  const draw = () => {
    if (!kv) return;
    const list = words.value.split(/\s+/).filter((w) => w && kv!.has(w));
    const answer = analogyOut.dataset.answer;
    if (answer && !list.includes(answer)) list.push(answer);
    const X = new Float32Array(list.length * kv.dim);
    list.forEach((w, i) => X.set(kv!.get(w, { norm: true }), i * kv!.dim));
    const xy = list.length >= 2 ? pca2d(X, list.length, kv.dim) : new Float64Array(list.length * 2);
    plot.replaceChildren(
      scatter(list.map((w, i) => ({ x: xy[2 * i], y: xy[2 * i + 1], label: w, highlight: w === answer }))),
    );
    const missing = words.value.split(/\s+/).filter((w) => w && !kv!.has(w));
    if (missing.length) plot.append(notice(`not in the vocabulary: ${missing.join(', ')}`));
  };
  const near = () => {
    if (!kv) return;
    const w = query.value.trim();
    if (!kv.has(w)) {
      neighbours.replaceChildren(h('li', {}, `"${w}" is not in the vocabulary`));
      return;
    }
    neighbours.replaceChildren(
      ...kv.mostSimilar({ positive: [w], topn: 8 }).map((n) => h('li', {}, `${n.word} (${n.similarity.toFixed(3)})`)),
    );
  };
  const analogy = () => {
    if (!kv) return;
    const [wa, wb, wc] = [a.value.trim(), b.value.trim(), c.value.trim()];
    const oov = [wa, wb, wc].filter((w) => !kv!.has(w));
    if (oov.length) {
      delete analogyOut.dataset.answer;
      analogyOut.replaceChildren(`not in the vocabulary: ${oov.join(', ')}`);
    } else {
      const [best, ...rest] = kv.mostSimilar({ positive: [wa, wc], negative: [wb], topn: 5 });
      analogyOut.dataset.answer = best.word;
      analogyOut.replaceChildren(
        h('span', { class: 'answer', id: 'emb-answer' }, best.word),
        ` (${best.similarity.toFixed(3)}); then ${rest.map((r) => r.word).join(', ')}`,
      );
    }
    draw();
  };
  const use = (vectors: KeyedVectors, label: string) => {
    kv = vectors;
    source.replaceChildren(`${label}: ${kv.size.toLocaleString('en-US')} words × ${kv.dim} dimensions`);
    root.dataset.vocab = String(kv.size);
    near();
    analogy();
  };

  try {
    const bytes = new Uint8Array(await (await app.fetchAsset('models/vectors/vectors.txt')).arrayBuffer());
    use(readWord2VecFormat(bytes), 'Vectors trained by the CLI on the English Wikipedia excerpt');
  } catch (e) {
    source.replaceChildren(notice(`${(e as Error).message}. Train a model below instead.`, 'error'));
  }
  try {
    trainText.value = await (await app.fetchAsset('models/vectors/sample.txt')).text();
  } catch {
    trainText.value = '';
  }

  trainBtn.addEventListener('click', () => {
    const worker = new Worker(new URL('../workers/w2v.worker.ts', import.meta.url), { type: 'module' });
    trainInWorker<W2vProgress, W2vDone>(
      worker,
      { text: trainText.value, vectorSize: 50, epochs: 5, minCount: 3, seed: 1 },
      {
        button: trainBtn,
        status: trainStatus,
        starting: 'building the vocabulary…',
        onProgress: (m) => {
          bar.value = m.progress;
          trainStatus.textContent = `${(100 * m.progress).toFixed(0)}% · ${Math.round(m.wordsPerSec).toLocaleString('en-US')} words/s · ETA ${m.etaSeconds.toFixed(1)} s${Number.isFinite(m.loss) ? ` · loss ${m.loss.toFixed(3)}` : ''}`;
        },
        onDone: (m) => {
          bar.value = 1;
          trainStatus.textContent = `done: ${m.words} words in ${(m.ms / 1000).toFixed(1)} s`;
          use(readWord2VecFormat(m.vectors), 'Vectors trained in this page');
        },
      },
    );
  });

  words.addEventListener('change', draw);
  query.addEventListener('change', near);
  for (const x of [a, b, c]) x.addEventListener('change', analogy);
}
