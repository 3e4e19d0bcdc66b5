/**
 * Sentiment: the NSMC review classifier trained by the CLI (`wordloom classify nsmc`: its BPE
 * tokenizer.json and BiLSTM model.safetensors) runs here. Type a Korean movie review, see
 * P(positive) and which tokens drove it — gradient × input on the embeddings, or (max pooling)
 * each token's exact share of the log-odds — as coloured spans and a bar per token.
 */
import { readSafetensors } from '@wordloom/core';
import * as tf from '@tensorflow/tfjs-core';
import { fromTokenizerJson, type Tokenizer } from '@wordloom/tokenizer';
import { h, notice, type App } from '../app.js';
import { SentimentBiLstm, sentimentConfigFrom, type Explanation } from '../sentiment-model.js';
import { attributionBars, divergingColor, divergingLegend } from '../svg.js';

const DIR = 'models/sentiment';

const EXAMPLES: Array<[string, string]> = [
  ['positive', '정말 재밌고 감동적인 영화였어요. 배우들 연기도 최고! 강력 추천합니다'],
  ['negative', '진짜 최악의 영화. 지루하고 스토리도 엉망이라 시간 낭비였다'],
  ['mixed', '배우들 연기는 좋았는데 스토리가 너무 뻔해서 아쉬웠다'],
];

type Method = 'gradient' | 'maxpool';

interface Loaded {
  model: SentimentBiLstm;
  tok: Tokenizer;
  positive: number;
  unkId: number;
  /** Reviews are cut to this many tokens, as in training (metrics.json's config.maxLen). */
  maxLen: number;
}

async function load(app: App): Promise<{ loaded: Loaded; about: string }> {
  const bytes = new Uint8Array(await (await app.fetchAsset(`${DIR}/model.safetensors`)).arrayBuffer());
  const tok = fromTokenizerJson(await (await app.fetchAsset(`${DIR}/tokenizer.json`)).text());
  const metrics = (await (await app.fetchAsset(`${DIR}/metrics.json`)).json()) as {
    accuracy?: number;
    testExamples?: number;
    config?: { maxLen?: number };
  };
  const { tensors, metadata } = readSafetensors(bytes);
  let model: SentimentBiLstm;
  let labels: string[];
  try {
    const parsed = sentimentConfigFrom(metadata, `${DIR}/model.safetensors`);
    labels = parsed.labels;
    if (parsed.config.vocabSize !== tok.vocabSize)
      throw new Error(
        `${DIR}: the model's vocabulary (${parsed.config.vocabSize}) and tokenizer.json's (${tok.vocabSize}) differ; copy both from the same CLI run`,
      );
    model = new SentimentBiLstm(parsed.config);
    model.loadStateDict(tensors, { strict: true });
  } finally {
    tf.dispose([...tensors.values()]);
  }
  const unk = tok.tokenToId('<unk>');
  const maxLen = metrics.config?.maxLen ?? Infinity;
  const c = model.config;
  const accuracy =
    metrics.accuracy !== undefined && metrics.testExamples !== undefined
      ? `; ${(100 * metrics.accuracy).toFixed(2)} % accuracy on ${metrics.testExamples.toLocaleString('en-US')} NSMC test reviews`
      : '';
  return {
    loaded: { model, tok, positive: labels.indexOf('positive'), unkId: unk ?? c.padId, maxLen },
    about: `BiLSTM ${c.numLayers}×${c.hiddenSize} per direction, ${c.pooling} pooling, embedding ${c.embeddingDim}, ${model.numParameters().toLocaleString('en-US')} parameters; BPE vocabulary ${tok.vocabSize.toLocaleString('en-US')}${accuracy}`,
  };
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  const input = h('textarea', { id: 'sent-input', rows: '3', 'aria-label': 'a movie review in Korean' });
  input.value = EXAMPLES[0][1];
  const method = h('select', { id: 'sent-method', 'aria-label': 'attribution method' });
  const about = h('div', { id: 'sent-about' });
  const prob = h('div', { id: 'sent-prob', class: 'row' });
  const tokens = h('div', { id: 'sent-tokens', class: 'tokens' });
  const legend = h('div', { id: 'sent-legend' });
  const bars = h('div', { id: 'sent-bars' });
  const note = h('p', { id: 'sent-note', class: 'hint' });
  const examples = h(
    'div',
    { class: 'row' },
    'Examples: ',
    ...EXAMPLES.map(([name, text]) => {
      const b = h('button', { 'data-example': name }, name);
      b.addEventListener('click', () => {
        input.value = text;
        show();
      });
      return b;
    }),
  );
  root.append(
    h('h2', {}, 'Sentiment: Korean movie reviews (NSMC)'),
    h(
      'p',
      {},
      'A BiLSTM trained from scratch by the CLI on NSMC reviews (with its own BPE tokenizer). Type a review: the model gives the probability that it is positive, and the colours show which tokens pushed it up (green) or down (red).',
    ),
    about,
    input,
    examples,
    h('div', { class: 'row' }, h('label', {}, 'Attribution ', method)),
    prob,
    tokens,
    legend,
    bars,
    note,
  );

  let m: Loaded;
  try {
    const r = await load(app);
    m = r.loaded;
    about.textContent = r.about;
  } catch (e) {
    about.replaceChildren(notice((e as Error).message, 'error'));
    input.disabled = true;
    return;
  }
  method.append(h('option', { value: 'gradient' }, 'gradient × input (embedding)'));
  if (m.model.config.pooling === 'max')
    method.append(h('option', { value: 'maxpool' }, 'max-pooling share of the log-odds (exact)'));

  function show(): void {
    const text = input.value;
    const enc = m.tok.encode(text);
    let ids = Int32Array.from(enc.ids);
    let cut = 0;
    if (ids.length > m.maxLen) {
      cut = ids.length - m.maxLen;
      ids = ids.subarray(0, m.maxLen);
    }
    const empty = ids.length === 0;
    if (empty) ids = Int32Array.of(m.unkId); // as the CLI does for an empty review
    let ex: Explanation;
    try {
      ex = m.model.explain(ids, m.positive);
    } catch (e) {
      prob.replaceChildren(notice((e as Error).message, 'error'));
      return;
    }
    const kind = method.value as Method;
    const attr = kind === 'maxpool' && ex.maxPoolShare ? ex.maxPoolShare : ex.gradientXInput;
    const scale = Math.max(1e-6, ...Array.from(attr, Math.abs));
    const p = ex.probPositive;
    const meter = h('meter', { id: 'sent-meter', min: '0', max: '1', value: p.toFixed(4) });
    prob.replaceChildren(
      h('strong', {}, `P(positive) = ${p.toFixed(3)}`),
      meter,
      h('span', { class: p > 0.5 ? 'verdict pos' : 'verdict neg' }, p > 0.5 ? 'positive' : 'negative'),
      h('span', { class: 'hint' }, `log-odds ${ex.logOdds.toFixed(2)}`),
    );
    root.dataset.prob = p.toFixed(6);
    const labels: string[] = [];
    tokens.replaceChildren(
      ...Array.from(ids, (id, i) => {
        const [s, e] = empty ? [0, 0] : enc.offsets[i];
        const piece = text.slice(s, e);
        // The ▁ word mark's space stays outside the chip, so the chips read as the review does.
        const space = /^\s*/.exec(piece)![0];
        const label = piece.slice(space.length) || (empty ? '<unk>' : enc.tokens[i]);
        labels.push(label);
        const span = h(
          'span',
          {
            class: 'tok',
            'data-attribution': attr[i].toFixed(4),
            title: `token ${JSON.stringify(empty ? '<unk>' : enc.tokens[i])} · id ${id} · attribution ${attr[i].toFixed(3)}`,
          },
          label,
        );
        span.style.background = divergingColor(attr[i] / scale);
        return space ? [document.createTextNode(space), span] : [span];
      }).flat(),
    );
    legend.replaceChildren(divergingLegend(scale, kind === 'maxpool' ? 'share of the log-odds' : 'gradient × input'));
    bars.replaceChildren(attributionBars(attr, labels));
    const sum = attr.reduce((a, b) => a + b, 0);
    note.textContent =
      (kind === 'maxpool'
        ? `The token shares add up to ${sum.toFixed(3)}; with the classifier's bias ${ex.bias.toFixed(3)} that is the log-odds ${ex.logOdds.toFixed(3)}: each of the ${2 * m.model.config.hiddenSize} max-pooled features comes from one token.`
        : `Σ gradient × input = ${sum.toFixed(3)} (a first-order estimate of how the log-odds ${ex.logOdds.toFixed(3)} depends on the tokens' embeddings).`) +
      (cut ? ` Only the first ${m.maxLen} tokens are read (${cut} cut), as in training.` : '');
  }

  input.addEventListener('input', show);
  method.addEventListener('change', show);
  show();
}
