/**
 * Attention: the date-format model trained by the CLI (`wordloom seq2seq date`; weights as
 * safetensors, its character vocabulary as JSON) runs here. Type a date, see the translation
 * and the attention heatmap, step by step; switch between Luong and Bahdanau models.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@wordloom/core';
import { Seq2Seq, type AttentionType } from '@wordloom/seq2seq';
import { h, notice, type App } from '../app.js';
import { heatmap } from '../svg.js';

const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'];

interface LoadedModel {
  model: Seq2Seq;
  itos: string[];
  stoi: Map<string, number>;
  reverseInput: boolean;
  attention: AttentionType;
}

/** Rebuilds the CLI's model from the config it stored in the safetensors metadata. */
async function loadModel(app: App, dir: string): Promise<LoadedModel> {
  const bytes = new Uint8Array(await (await app.fetchAsset(`${dir}/model.safetensors`)).arrayBuffer());
  const vocab = (await (await app.fetchAsset(`${dir}/vocab.json`)).json()) as { format?: string; tokens?: string[] };
  if (vocab.format !== 'wordloom-demo-charvocab v1' || !Array.isArray(vocab.tokens)) {
    throw new Error(`${dir}/vocab.json is not a wordloom character vocabulary (format ${String(vocab.format)})`);
  }
  const { tensors, metadata } = readSafetensors(bytes);
  const raw = metadata.get('config');
  if (raw === undefined) throw new Error(`${dir}/model.safetensors has no "config" in its metadata`);
  const cfg = JSON.parse(raw) as {
    attention: AttentionType;
    cell: 'gru' | 'lstm';
    bidirectional: boolean;
    embeddingDim: number;
    hiddenSize: number;
    reverseInput: boolean;
    seed: number;
  };
  const itos = vocab.tokens;
  const stoi = new Map(itos.map((c, i) => [c, i]));
  const model = new Seq2Seq({
    srcVocabSize: itos.length,
    tgtVocabSize: itos.length,
    embeddingDim: cfg.embeddingDim,
    hiddenSize: cfg.hiddenSize,
    cell: cfg.cell,
    bidirectional: cfg.bidirectional,
    attention: cfg.attention,
    bosId: stoi.get('<s>')!,
    eosId: stoi.get('</s>')!,
    padId: stoi.get('<pad>')!,
    seed: cfg.seed,
  });
  model.loadStateDict(tensors, { strict: true });
  tf.dispose([...tensors.values()]);
  return { model, itos, stoi, reverseInput: cfg.reverseInput, attention: cfg.attention };
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  const choice = h('select', { id: 'att-model', 'aria-label': 'model' });
  const input = h('input', { id: 'att-input', type: 'text', value: 'september 27, 1994', 'aria-label': 'a date' });
  const output = h('div', { id: 'att-output', class: 'row' });
  const slider = h('input', {
    id: 'att-step',
    type: 'range',
    min: '0',
    max: '0',
    value: '0',
    'aria-label': 'output step',
  });
  const stepLabel = h('span', { id: 'att-step-label' });
  const map = h('div', { id: 'att-heatmap' });
  root.append(
    h('h2', {}, 'Attention: date-format translation'),
    h(
      'p',
      {},
      'A GRU encoder–decoder with attention, trained from scratch by the CLI on the date set of "Deep Learning from Scratch 2". Each row of the heatmap is one output character; its cells show how much the decoder looked at each input character.',
    ),
    h('div', { class: 'row' }, h('label', {}, 'Model ', choice), input),
    output,
    h('div', { class: 'row' }, h('label', {}, 'Step ', slider), stepLabel),
    map,
  );

  const models = new Map<string, LoadedModel>();
  for (const [dir, label] of [
    ['models/date-luong', 'Luong (dot) attention'],
    ['models/date-bahdanau', 'Bahdanau (additive) attention'],
  ] as const) {
    try {
      models.set(dir, await loadModel(app, dir));
      choice.append(h('option', { value: dir }, label));
    } catch (e) {
      root.insertBefore(notice((e as Error).message), output);
    }
  }
  if (models.size === 0) {
    output.replaceChildren(
      notice(
        'No date model is available in this build; train one with `pnpm demo seq2seq date` and run the assets script.',
        'error',
      ),
    );
    return;
  }

  let rows: number[][] = [];
  let outChars: string[] = [];
  let inChars: string[] = [];
  const drawStep = () => {
    const k = Number(slider.value);
    stepLabel.textContent = outChars.length ? `output ${k + 1}/${outChars.length}: "${outChars[k]}"` : '';
    map.replaceChildren(heatmap(rows.slice(0, k + 1), outChars.slice(0, k + 1), inChars, { activeRow: k }));
  };
  const run = () => {
    const m = models.get(choice.value)!;
    const text = input.value.toLowerCase();
    const unknown = [...new Set([...text].filter((c) => !m.stoi.has(c)))];
    if (unknown.length) {
      output.replaceChildren(
        notice(`characters the model never saw: ${unknown.map((c) => JSON.stringify(c)).join(' ')}`, 'error'),
      );
      return;
    }
    const ids = Int32Array.from([...text], (c) => m.stoi.get(c)!);
    const src = m.reverseInput ? ids.slice().reverse() : ids;
    const srcT = tf.tensor2d(src, [1, src.length], 'int32');
    const [hyp] = m.model.generate(srcT, Int32Array.of(src.length), { maxLength: 16 });
    srcT.dispose();
    const tokens = Array.from(hyp.tokens);
    const translation = tokens.map((t) => (t >= SPECIALS.length ? m.itos[t] : '')).join('');
    outChars = [...tokens.map((t) => m.itos[t]), '</s>'];
    rows = (hyp.attention ?? []).map((r) => Array.from(r));
    outChars = outChars.slice(0, rows.length);
    inChars = m.reverseInput ? [...text].reverse() : [...text];
    output.replaceChildren('Translation: ', h('strong', { id: 'att-translation' }, translation));
    slider.max = String(Math.max(0, rows.length - 1));
    slider.value = slider.max;
    drawStep();
  };
  choice.addEventListener('change', run);
  input.addEventListener('change', run);
  slider.addEventListener('input', drawStep);
  run();
}
