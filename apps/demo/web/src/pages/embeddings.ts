/**
 * Embedding explorer: word vectors exported by the CLI (word2vec text format), compact fastText
 * models (a vector for ANY word, built from its character n-grams; Korean through jamo), or a
 * word2vec model trained here in a Web Worker; a 2-D PCA scatter of chosen words, nearest
 * neighbours, and the analogy a − b + c with its answer highlighted.
 */
import {
  KeyedVectors,
  pca2d,
  readCompactFastText,
  readWord2VecFormat,
  type CompactFastTextKeyedVectors,
  type Neighbour,
} from '@wordloom/embeddings';
import { composeJamo, decomposeJamo } from '@wordloom/tokenizer';
import { h, notice, trainInWorker, type App } from '../app.js';
import { scatter } from '../svg.js';
import type { W2vDone, W2vProgress } from '../workers/w2v.worker.js';

/** What the explorer needs of a model, word2vec or fastText. */
interface Model {
  label: string;
  size: number;
  dim: number;
  /** fastText: every word with a character n-gram has a vector, in the vocabulary or not */
  subword: boolean;
  has(word: string): boolean;
  /** Unit vector of `word`. @throws when it has none */
  unit(word: string): Float32Array;
  /** 3CosAdd neighbours, words as the user reads them. @throws when a term has no vector */
  nearest(positive: string[], negative: string[], topn: number): Neighbour[];
}

/** The models this page offers (files made by scripts/make-assets.sh). */
const CHOICES = {
  word2vec: {
    title: 'word2vec, English (Wikipedia excerpt)',
    file: 'models/vectors/vectors.txt',
    words: 'king queen man woman prince princess father mother boy girl city town river lake',
    query: 'king',
    analogy: ['king', 'man', 'woman'],
  },
  'fasttext-ko': {
    title: 'fastText, Korean (NSMC reviews, jamo n-grams)',
    file: 'models/fasttext-ko/vectors.wlft',
    words: '영화 배우 감독 연기 배우들 최고 최악 재미 감동 지루 음악 노래 스토리 결말',
    query: '영화',
    analogy: ['아빠', '남자', '여자'],
  },
} as const;
type Choice = keyof typeof CHOICES;

function word2vecModel(kv: KeyedVectors, label: string): Model {
  return {
    label,
    size: kv.size,
    dim: kv.dim,
    subword: false,
    has: (w) => kv.has(w),
    unit: (w) => kv.get(w, { norm: true }),
    nearest: (positive, negative, topn) => kv.mostSimilar({ positive, negative, topn }),
  };
}

/**
 * A compact fastText model: rows stay encoded and are decoded when a word is looked up. The Korean
 * model's vocabulary is in jamo (the CLI's `--jamo`): queries are decomposed with the tokenizer's
 * `decomposeJamo` (its `wordTransform`) and neighbours composed back with `composeJamo`.
 */
function fastTextModel(ft: CompactFastTextKeyedVectors, label: string, jamo: boolean): Model {
  const show = jamo ? (w: string) => composeJamo(w) : (w: string) => w;
  return {
    label,
    size: ft.size,
    dim: ft.dim,
    subword: true,
    has: (w) => ft.has(w),
    unit: (w) => ft.get(w, { norm: true }),
    nearest: (positive, negative, topn) =>
      ft.mostSimilar({ positive, negative, topn }).map((n) => ({ word: show(n.word), similarity: n.similarity })),
  };
}

/** The Korean model: words looked up go through the tokenizer's `decomposeJamo`, as in training. */
function readKoreanFastText(bytes: Uint8Array): CompactFastTextKeyedVectors {
  return readCompactFastText(bytes, { wordTransform: (w) => decomposeJamo(w) });
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  let model: Model | undefined;
  const loaded = new Map<Choice, Model>();
  const picker = h('select', { id: 'emb-model', 'aria-label': 'model' });
  for (const [value, spec] of Object.entries(CHOICES)) picker.append(h('option', { value }, spec.title));
  const source = h('div', { id: 'emb-source', class: 'row' });
  const words = h('input', { id: 'emb-words', type: 'text', 'aria-label': 'words to plot' });
  words.value = CHOICES.word2vec.words;
  const plot = h('div', { id: 'emb-plot' });
  const query = h('input', { id: 'emb-query', type: 'text', value: 'king', 'aria-label': 'word for neighbours' });
  const oov = h('div', { id: 'emb-oov' });
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
    h('label', { class: 'row' }, 'Model ', picker),
    source,
    h('label', {}, 'Words to plot (PCA to 2-D) ', words),
    plot,
    h('h3', {}, 'Nearest neighbours'),
    h('div', { class: 'row' }, query),
    oov,
    neighbours,
    h('h3', {}, 'Analogy: a − b + c'),
    h('div', { class: 'row' }, a, ' − ', b, ' + ', c, ' = ', analogyOut),
    h('h3', {}, 'Train a small model in the page'),
    h('p', {}, 'Skip-gram with negative sampling, one Web Worker, seeded — the same code as the CLI.'),
    trainText,
    h('div', { class: 'row' }, trainBtn, bar, trainStatus),
  );

  const unitOrUndefined = (w: string): Float32Array | undefined => {
    if (!model || (!model.subword && !model.has(w))) return undefined;
    try {
      return model.unit(w);
    } catch {
      return undefined; // a fastText word without any n-gram
    }
  };
  const draw = () => {
    if (!model) return;
    const m = model;
    const typed = words.value.split(/\s+/).filter((w) => w);
    const vecs = new Map<string, Float32Array>();
    for (const w of typed) {
      const v = unitOrUndefined(w);
      if (v) vecs.set(w, v);
    }
    const answer = analogyOut.dataset.answer;
    if (answer && !vecs.has(answer)) {
      const v = unitOrUndefined(answer);
      if (v) vecs.set(answer, v);
    }
    const list = [...vecs.keys()];
    const X = new Float32Array(list.length * m.dim);
    list.forEach((w, i) => X.set(vecs.get(w)!, i * m.dim));
    const xy = list.length >= 2 ? pca2d(X, list.length, m.dim) : new Float64Array(list.length * 2);
    plot.replaceChildren(
      scatter(list.map((w, i) => ({ x: xy[2 * i], y: xy[2 * i + 1], label: w, highlight: w === answer }))),
    );
    const missing = typed.filter((w) => !vecs.has(w));
    if (missing.length)
      plot.append(notice(`${m.subword ? 'no vector' : 'not in the vocabulary'}: ${missing.join(', ')}`));
    const built = m.subword ? list.filter((w) => !m.has(w)) : [];
    if (built.length) plot.append(notice(`built from n-grams (not in the vocabulary): ${built.join(', ')}`));
  };
  const near = () => {
    if (!model) return;
    const w = query.value.trim();
    delete oov.dataset.oov;
    oov.replaceChildren();
    if (!w) {
      neighbours.replaceChildren();
      return;
    }
    if (!model.subword && !model.has(w)) {
      neighbours.replaceChildren(h('li', {}, `"${w}" is not in the vocabulary`));
      return;
    }
    let list: Neighbour[];
    try {
      list = model.nearest([w], [], 8);
    } catch (e) {
      neighbours.replaceChildren(h('li', { class: 'error' }, (e as Error).message));
      return;
    }
    if (model.subword) {
      const inVocab = model.has(w);
      oov.dataset.oov = inVocab ? '0' : '1';
      oov.append(
        inVocab
          ? `"${w}" is in the vocabulary: its vector is its own row and its n-gram rows, averaged`
          : `"${w}" is not in the vocabulary: its vector is built from n-grams`,
      );
    }
    neighbours.replaceChildren(
      ...list.map((n) =>
        h(
          'li',
          { 'data-word': n.word, 'data-similarity': String(n.similarity) },
          `${n.word} (${n.similarity.toFixed(3)})`,
        ),
      ),
    );
  };
  const analogy = () => {
    if (!model) return;
    const m = model;
    const [wa, wb, wc] = [a.value.trim(), b.value.trim(), c.value.trim()];
    const missing = [wa, wb, wc].filter((w) => !unitOrUndefined(w));
    if (missing.length) {
      delete analogyOut.dataset.answer;
      analogyOut.replaceChildren(`${m.subword ? 'no vector' : 'not in the vocabulary'}: ${missing.join(', ')}`);
    } else {
      const [best, ...rest] = m.nearest([wa, wc], [wb], 5);
      analogyOut.dataset.answer = best.word;
      analogyOut.replaceChildren(
        h('span', { class: 'answer', id: 'emb-answer' }, best.word),
        ` (${best.similarity.toFixed(3)}); then ${rest.map((r) => r.word).join(', ')}`,
      );
    }
    draw();
  };
  const use = (m: Model) => {
    model = m;
    source.replaceChildren(`${m.label}: ${m.size.toLocaleString('en-US')} words × ${m.dim} dimensions`);
    root.dataset.vocab = String(m.size);
    near();
    analogy();
  };
  const load = async (choice: Choice): Promise<Model> => {
    const bytes = new Uint8Array(await (await app.fetchAsset(CHOICES[choice].file)).arrayBuffer());
    if (choice === 'word2vec')
      return word2vecModel(readWord2VecFormat(bytes), 'Vectors trained by the CLI on the English Wikipedia excerpt');
    const ft = readKoreanFastText(bytes);
    const mb = (bytes.length / 1e6).toFixed(1);
    return fastTextModel(
      ft,
      `fastText trained by the CLI on NSMC reviews (jamo n-grams, ${ft.bucket.toLocaleString('en-US')} n-gram buckets, ${ft.dtype}, ${mb} MB)`,
      true,
    );
  };
  const pick = async (choice: Choice, setDefaults: boolean) => {
    const spec = CHOICES[choice];
    root.dataset.model = choice;
    root.dataset.state = 'loading';
    try {
      let m = loaded.get(choice);
      if (!m) {
        m = await load(choice);
        loaded.set(choice, m);
      }
      if (setDefaults) {
        words.value = spec.words;
        query.value = spec.query;
        [a.value, b.value, c.value] = spec.analogy;
      }
      use(m);
    } catch (e) {
      source.replaceChildren(
        notice(`${(e as Error).message}.${choice === 'word2vec' ? ' Train a model below instead.' : ''}`, 'error'),
      );
    }
    root.dataset.state = 'ready';
  };
  await pick('word2vec', false);
  try {
    trainText.value = await (await app.fetchAsset('models/vectors/sample.txt')).text();
  } catch {
    trainText.value = '';
  }

  picker.addEventListener('change', () => void pick(picker.value as Choice, true));
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
          use(word2vecModel(readWord2VecFormat(m.vectors), 'Vectors trained in this page'));
        },
      },
    );
  });

  words.addEventListener('change', draw);
  query.addEventListener('change', near);
  for (const x of [a, b, c]) x.addEventListener('change', analogy);
}
