/**
 * Language model: samples from the character-level transformer LM trained by the CLI
 * (`wordloom lm shakespeare --model transformer`), with temperature / top-k / top-p, one
 * character at a time through the KV cache, streaming into the page as it goes. Past the
 * model's context length the window slides (the last half of the context is fed again), so any
 * number of characters can be asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, readSafetensors } from '@wordloom/core';
import { sampleFromLogits } from '@wordloom/seq2seq';
import { TransformerLM, disposeState, type LMState } from '@wordloom/transformer';
import { h, notice, type App } from '../app.js';

interface LmConfig {
  vocabSize: number;
  dModel: number;
  nhead: number;
  numLayers: number;
  dimFeedforward?: number;
  positional?: 'learned' | 'sinusoidal' | 'rope';
  maxLen?: number;
  normFirst?: boolean;
  tieWeights?: boolean;
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  const prompt = h('textarea', { id: 'lm-prompt', rows: '2', 'aria-label': 'prompt' });
  prompt.value = 'ROMEO:\n';
  const temp = h('input', { id: 'lm-temperature', type: 'range', min: '0.1', max: '2', step: '0.05', value: '0.8' });
  const topK = h('input', { id: 'lm-topk', type: 'range', min: '0', max: '60', step: '1', value: '0' });
  const topP = h('input', { id: 'lm-topp', type: 'range', min: '0.05', max: '1', step: '0.05', value: '0.95' });
  const length = h('input', { id: 'lm-length', type: 'number', min: '1', max: '2000', value: '300' });
  const labels = h('div', { id: 'lm-settings' });
  const go = h('button', { id: 'lm-go' }, 'Sample');
  const stop = h('button', { id: 'lm-stop', disabled: '' }, 'Stop');
  const out = h('pre', { id: 'lm-output', class: 'stream' });
  const status = h('div', { id: 'lm-status' });
  root.append(
    h('h2', {}, 'Character language model'),
    h('div', { class: 'row' }, h('label', {}, 'Prompt ', prompt)),
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'temperature ', temp),
      h('label', {}, 'top-k ', topK),
      h('label', {}, 'top-p ', topP),
      h('label', {}, 'characters ', length),
    ),
    labels,
    h('div', { class: 'row' }, go, stop),
    out,
    status,
  );
  const showSettings = () => {
    labels.textContent = `temperature ${Number(temp.value).toFixed(2)} · top-k ${topK.value === '0' ? 'off' : topK.value} · top-p ${Number(topP.value).toFixed(2)}`;
  };
  for (const s of [temp, topK, topP]) s.addEventListener('input', showSettings);
  showSettings();

  let lm: TransformerLM;
  let itos: string[];
  let cfg: LmConfig;
  try {
    const bytes = new Uint8Array(await (await app.fetchAsset('models/lm/model.safetensors')).arrayBuffer());
    const vocab = (await (await app.fetchAsset('models/lm/vocab.json')).json()) as { tokens?: string[] };
    const { tensors, metadata } = readSafetensors(bytes);
    const raw = metadata.get('config');
    if (raw === undefined || !Array.isArray(vocab.tokens))
      throw new Error('models/lm: model.safetensors needs a "config" in its metadata and vocab.json a "tokens" list');
    cfg = JSON.parse(raw) as LmConfig;
    itos = vocab.tokens;
    lm = new TransformerLM({ ...cfg, vocabSize: itos.length, dropout: 0 });
    lm.loadStateDict(tensors, { strict: true });
    lm.eval();
    tf.dispose([...tensors.values()]);
    status.textContent = `transformer LM: ${cfg.numLayers} layers, d_model ${cfg.dModel}, ${cfg.nhead} heads, ${lm.numParameters().toLocaleString('en-US')} parameters, ${itos.length} characters`;
  } catch (e) {
    status.replaceChildren(notice((e as Error).message, 'error'));
    go.disabled = true;
    return;
  }
  const stoi = new Map(itos.map((c, i) => [c, i]));
  const maxLen = cfg.maxLen ?? 512;
  /** Characters re-fed when the window slides (half the context: each slide buys maxLen − keep cached steps). */
  const keep = Math.max(1, Math.floor(maxLen / 2));
  let stopping = false;

  go.addEventListener('click', async () => {
    const text = prompt.value;
    const unknown = [...new Set([...text].filter((c) => !stoi.has(c)))];
    if (text.length === 0 || unknown.length) {
      out.replaceChildren(
        notice(
          text.length === 0
            ? 'type a prompt first'
            : `characters the model never saw: ${unknown.map((c) => JSON.stringify(c)).join(' ')}`,
          'error',
        ),
      );
      return;
    }
    go.disabled = true;
    stop.disabled = false;
    stopping = false;
    out.textContent = text;
    out.dataset.done = 'false';
    const rng = new Rng(Date.now() >>> 0);
    const opts = { rng, temperature: Number(temp.value), topK: Number(topK.value), topP: Number(topP.value) };
    const n = Number(length.value);
    const t0 = performance.now();
    let state: LMState = lm.initState();
    let produced = 0;
    let slides = 0;
    try {
      // Feed the prompt (keeping only what fits the window), then sample. Past the model's
      // context the window slides: the last `keep` characters are fed again (a fresh prefill),
      // and the KV cache then serves the next maxLen − keep steps.
      const context = Array.from(text.slice(-keep), (c) => stoi.get(c)!);
      let r = lm.advance(state, [context]);
      state = r.state;
      while (produced < n && !stopping) {
        const logits = await r.logits.data();
        r.logits.dispose();
        const next = sampleFromLogits(logits, opts);
        out.textContent += itos[next];
        produced++;
        if (produced === n) break;
        context.push(next);
        if (context.length > maxLen) context.splice(0, context.length - maxLen);
        const prev = state;
        if (prev.position < maxLen) r = lm.step(prev, [next]);
        else {
          r = lm.advance(lm.initState(), [context.slice(-keep)]);
          slides++;
        }
        state = r.state;
        disposeState(prev);
        // Let the page paint the new character.
        await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
      }
      if (!r.logits.isDisposed) r.logits.dispose();
    } finally {
      disposeState(state);
      go.disabled = false;
      stop.disabled = true;
      const s = (performance.now() - t0) / 1000;
      status.textContent = `${produced} characters in ${s.toFixed(1)} s (${(produced / s).toFixed(1)} chars/s) on ${app.backend}${slides ? `; the ${maxLen}-character context window slid ${slides} time${slides === 1 ? '' : 's'}` : ''}`;
      out.dataset.slides = String(slides);
      out.dataset.done = 'true';
    }
  });
  stop.addEventListener('click', () => {
    stopping = true;
  });
}
