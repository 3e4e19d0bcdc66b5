/**
 * `progressBar()`: a callback that draws one terminal line — a bar over the planned steps, steps/s,
 * samples/s, ETA, loss, learning rate and epoch — and keeps drawing it through evaluations and
 * epochs (each evaluation prints its metrics on a line of its own above the bar). When the stream
 * is not a terminal (a log file, CI), it prints a plain line every `interval` seconds instead. No
 * `node:` imports: in the browser, pass your own callbacks (`onStepEnd` …) instead.
 *
 * Reference: the demo's former bar (cli-progress), which stopped at the first evaluation and
 * never came back; tqdm's `mininterval`.
 * @module
 */
import type { Callbacks, EvalRecord, History, StepRecord, TrainInfo } from './types.js';

/** Where the bar writes: `process.stderr`, or anything with `write` (and `isTTY`/`columns` for a terminal). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** Text before the bar. @default 'train' */
  label?: string;
  /** @default `process.stderr` when there is a `process` (nothing is drawn otherwise) */
  stream?: ProgressStream;
  /**
   * Seconds between plain lines when the stream is not a terminal. @default 10 (a readable log of a
   * long run; evaluations and the end are always printed)
   */
  interval?: number;
  /** Seconds between redraws on a terminal. @default 0.1 (tqdm's `mininterval`) */
  redraw?: number;
  /** Draw as on a terminal (true) or as plain lines (false). @default `stream.isTTY` */
  tty?: boolean;
}

/** `1m05s`, `2h03m`, `42s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(1) : x.toFixed(4);
}

function metricsText(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(' · ');
}

/**
 * A progress bar for `fit` (`callbacks: [progressBar()]`). Rates count this session's steps over its
 * training time (evaluations excluded), so they stay true after a resume and through evaluations.
 */
export function progressBar(opts: ProgressBarOptions = {}): Callbacks {
  const label = opts.label ?? 'train';
  const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  const stream: ProgressStream | undefined = opts.stream ?? proc?.stderr;
  const tty = opts.tty ?? stream?.isTTY === true;
  const interval = opts.interval ?? 10;
  const redraw = opts.redraw ?? 0.1;
  for (const [k, v] of [
    ['interval', interval],
    ['redraw', redraw],
  ] as const) {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new Error(`progressBar: ${k} = ${String(v)} must be a finite number >= 0`);
  }
  let t0Train = 0;
  let startStep = 0;
  let samples = 0;
  let last: StepRecord | undefined;
  let lastDraw = -Infinity;
  let drawn = false; // a bar line is on screen (TTY)
  let evaluating = false;

  const rates = (info: TrainInfo) => {
    const sec = info.trainSeconds - t0Train;
    const steps = info.step - startStep;
    const stepRate = sec > 0 ? steps / sec : NaN;
    return { stepRate, sampleRate: sec > 0 ? samples / sec : NaN, eta: (info.totalSteps - info.step) / stepRate };
  };

  const line = (info: TrainInfo, width: number): string => {
    const { stepRate, sampleRate, eta } = rates(info);
    const total = info.totalSteps;
    const parts: string[] = [];
    let head = `${label} `;
    if (Number.isFinite(total) && total > 0) {
      const barWidth = Math.max(10, Math.min(30, width - 100));
      const fill = Math.round((barWidth * Math.min(info.step, total)) / total);
      head += tty ? `|${'█'.repeat(fill)}${'░'.repeat(barWidth - fill)}| ` : '';
      head += `${info.step}/${total} steps (${((100 * info.step) / total).toFixed(0)}%)`;
    } else head += `${info.step} steps`;
    parts.push(head);
    if (info.epochs !== undefined) parts.push(`epoch ${Math.min(info.epoch + 1, info.epochs)}/${info.epochs}`);
    else parts.push(`epoch ${info.epoch + 1}`);
    if (Number.isFinite(stepRate)) {
      parts.push(`${stepRate >= 10 ? stepRate.toFixed(1) : stepRate.toFixed(2)} steps/s`);
      if (Number.isFinite(sampleRate)) parts.push(`${sampleRate.toFixed(sampleRate >= 100 ? 0 : 1)} samples/s`);
      if (Number.isFinite(total)) parts.push(`ETA ${formatDuration(eta)}`);
    }
    if (last) {
      parts.push(`loss ${num(last.loss)}`);
      if (last.lr !== undefined) parts.push(`lr ${last.lr.toExponential(2)}`);
    }
    if (evaluating) parts.push('evaluating…');
    const s = parts.join(' · ');
    return tty && s.length > width ? s.slice(0, Math.max(0, width - 1)) : s;
  };

  const width = () => (stream?.columns && stream.columns > 20 ? stream.columns : 120);

  const draw = (info: TrainInfo, force = false): void => {
    if (!stream) return;
    const now = performance.now() / 1000;
    if (tty) {
      if (!force && now - lastDraw < redraw) return;
      lastDraw = now;
      stream.write(`\r\x1b[K${line(info, width())}`);
      drawn = true;
    } else {
      if (!force && now - lastDraw < interval) return;
      lastDraw = now;
      stream.write(`${line(info, Infinity)}\n`);
    }
  };

  /** A permanent message line (above the bar on a terminal). */
  const message = (text: string, info: TrainInfo): void => {
    if (!stream) return;
    if (tty) {
      stream.write(`\r\x1b[K${text}\n`);
      drawn = false;
      draw(info, true);
    } else stream.write(`${text}\n`);
  };

  return {
    onTrainStart(info) {
      t0Train = info.trainSeconds;
      startStep = info.step;
      samples = 0;
      lastDraw = tty ? -Infinity : performance.now() / 1000; // plain mode: first line after `interval`
      if (info.startStep > 0) message(`${label}: resumed at step ${info.step}`, info);
      else if (tty) draw(info, true);
    },
    onStepEnd(record, info) {
      last = record;
      samples += record.samples;
      draw(info);
    },
    onEvaluateStart(info) {
      evaluating = true;
      if (tty) draw(info, true);
    },
    onEvaluate(record: EvalRecord, info) {
      evaluating = false;
      message(
        `${label} step ${record.step}${record.trigger === 'epochEnd' ? ` (end of epoch ${record.epoch + 1})` : ''}: ${metricsText(record.metrics)}`,
        info,
      );
    },
    onTrainEnd(history: History, info) {
      evaluating = false;
      if (!stream) return;
      const { stepRate } = rates(info);
      if (tty && drawn) stream.write(`\r\x1b[K`);
      const why = history.stopReason === 'completed' ? 'done' : `stopped (${history.stopReason})`;
      stream.write(
        `${label} ${why} at step ${history.step}, epoch ${history.epoch}` +
          (last ? `, loss ${num(last.loss)}` : '') +
          (Number.isFinite(stepRate) ? `, ${stepRate.toFixed(2)} steps/s` : '') +
          `, ${formatDuration(info.trainSeconds - t0Train)} of training` +
          (history.checkpoint ? `; checkpoint ${history.checkpoint}` : '') +
          '\n',
      );
      drawn = false;
    },
  };
}
