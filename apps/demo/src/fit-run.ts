/**
 * How the demo's training commands run `fit` from @wordloom/train: checkpoints in `<out>/checkpoints`
 * (fit's files, from which `--resume` continues bit for bit), Ctrl-C as an `AbortSignal` (checked
 * after every step and between evaluation batches), the progress bar as callbacks (stopped for an
 * evaluation's message and started again after it), the loss history every 50 steps as the
 * commands write it into metrics.json, and fit's errors as one-line CliErrors.
 */
import { fileStorage } from '@wordloom/train/node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module, Rng } from '@wordloom/core';
import type { Optimizer, Schedule } from '@wordloom/optim';
import {
  NonFiniteLossError,
  ResumeMismatchError,
  fit,
  readCheckpoint,
  type Callbacks,
  type EvalLoader,
  type History,
  type LossFn,
  type TrainInfo,
  type TrainLoader,
} from '@wordloom/train';
import { CliError, PROGRAM } from './args.js';
import { installInterruptHandler, interrupt, progress, type Progress } from './progress.js';
import { setupUrl } from './replicas.js';

export interface HistoryEntry {
  step: number;
  /** 1-based. */
  epoch: number;
  /** Mean training loss since the previous entry. */
  loss: number;
  /** Training seconds at this step (absent for the steps of an earlier session of a resumed run). */
  seconds?: number;
  lr?: number;
  [metric: string]: number | undefined;
}

/** The folder of a run's checkpoints. */
export function checkpointDir(out: string): string {
  return join(out, 'checkpoints');
}

/** Every 50 steps a history entry. */
const HISTORY_EVERY = 50;

export interface DemoFitOptions<M extends Module, B, EB> {
  /** For messages and the resume check, e.g. `lm shakespeare`. */
  command: string;
  /** Progress bar label. */
  label: string;
  out: string;
  /** The model, optimizer, loader and loss, in-process (one replica); or `replicas`. */
  model?: M;
  optimizer?: Optimizer;
  train?: TrainLoader<B>;
  loss?: LossFn<M, B>;
  /**
   * Data-parallel replicas: fit's setup module builds the model, optimizer, loader and loss (and schedule,
   * countSamples, slice) in every replica; rank 0's objects reach the command through `onSetup`.
   */
  replicas?: { world: number; setup: URL; options: unknown; onSetup(made: never): void };
  /** Everything that defines the run; a `--resume` must ask for the same (fit names the option that differs). */
  config: Record<string, unknown>;
  epochs?: number;
  maxSteps?: number;
  /** Wall-clock budget of training (fit plans the schedule to it once, and a resumed run keeps that plan). */
  timeBudgetSeconds?: number;
  /** The learning-rate schedule (a `plannedSchedule`, so fit fits it to the run). */
  schedule?: Schedule;
  /** Generators outside the model the loss draws from (scheduled sampling). */
  rngs?: Record<string, Rng>;
  countSamples?: (batch: B | EB) => number;
  evaluate?: {
    loader: EvalLoader<EB>;
    metrics: (model: M, batch: EB) => Record<string, number> | Promise<Record<string, number>>;
    every?: number;
    atEpochEnd?: boolean;
    reduce?: (perBatch: Array<{ metrics: Record<string, number>; samples: number }>) => Record<string, number>;
    /** The line logged after an evaluation. */
    message(metrics: Record<string, number>, at: { step: number; epoch: number; loss: number }): string;
  };
  resume?: boolean;
  quiet?: boolean;
  log(s: string): void;
  /** Extra numbers for the progress bar (e.g. the teacher-forcing ratio). */
  barMetrics?(step: number): Record<string, number>;
  /** Callbacks called before the demo's own. */
  callbacks?: Callbacks;
  /** Makes the progress bars (tests pass a recorder). @default {@link progress} */
  progress?: typeof progress;
}

export interface DemoFitResult {
  history: HistoryEntry[];
  /** Steps done (all sessions). */
  step: number;
  /** Epochs started (the last may be partial). */
  epochs: number;
  plannedSteps: number;
  interrupted: boolean;
  stoppedByBudget: boolean;
  /** Training seconds (all sessions). */
  trainSeconds: number;
  /** Loss of the last step. */
  lastLoss: number;
  /** The checkpoint written last (or loaded). */
  checkpoint: string;
  fit: History;
}

/** What a command's setup builds (`lm/setup.ts`, `lm/ptb-setup.ts`, `classify/setup.ts`): the part demoFit takes. */
interface Made {
  model: Module;
  optimizer: Optimizer;
  train: unknown;
  loss: unknown;
  countSamples?: unknown;
  schedule?: Schedule;
}

/** The part of {@link DemoFitOptions} that says what trains: the objects themselves, or replicas that build them. */
export interface FitSource<S extends Made> {
  model?: S['model'];
  optimizer?: Optimizer;
  train?: S['train'];
  loss?: S['loss'];
  countSamples?: S['countSamples'];
  schedule?: Schedule;
  replicas?: DemoFitOptions<Module, unknown, unknown>['replicas'];
}

/**
 * What a training command hands {@link demoFit}, for any `--workers`: with 1, `build(options)` makes the model,
 * optimizer, loader and loss here (and `onSetup` sees them at once); with more, every replica builds them
 * through fit's setup module (replica-setup.ts, which calls the same `build`), and `onSetup` sees rank 0's once
 * fit has made them.
 */
export function fitSource<O, S extends Made>(o: {
  world: number;
  options: O;
  build: (options: O) => S;
  onSetup: (made: S) => void;
}): FitSource<S> {
  if (o.world > 1)
    return {
      replicas: { world: o.world, setup: setupUrl(), options: o.options, onSetup: o.onSetup as (made: never) => void },
    };
  const made = o.build(o.options);
  o.onSetup(made);
  return {
    model: made.model,
    optimizer: made.optimizer,
    train: made.train,
    loss: made.loss,
    ...(made.countSamples !== undefined ? { countSamples: made.countSamples } : {}),
    ...(made.schedule !== undefined ? { schedule: made.schedule } : {}),
  };
}

/** An AbortSignal that Ctrl-C (or a test setting `interrupt.requested`) aborts. */
export function interruptSignal(): AbortController {
  installInterruptHandler();
  const ac = new AbortController();
  interrupt.onRequest = () => ac.abort();
  if (interrupt.requested) ac.abort();
  return ac;
}

/** Runs `fit` for a demo command (see the module comment). */
export async function demoFit<M extends Module, B, EB = B>(o: DemoFitOptions<M, B, EB>): Promise<DemoFitResult> {
  const { out, command, log } = o;
  const quiet = o.quiet === true;
  const dir = checkpointDir(out);
  const storage = fileStorage(dir);
  let resumeFrom = '';
  if (o.resume) {
    const names = (await storage.list()).sort();
    if (names.length === 0)
      throw new CliError(
        `${PROGRAM} ${command}: --resume found no checkpoint in ${dir}; run without --resume first (same --out)`,
      );
    // A damaged file is a one-line error naming it (fit would throw from deep inside).
    const newest = join(dir, names[names.length - 1]);
    resumeFrom = newest;
    try {
      const c = readCheckpoint(new Uint8Array(readFileSync(newest)));
      for (const t of c.model.values()) t.dispose();
      for (const t of c.optim.tensors.values()) t.dispose();
      for (const t of c.carry.values()) t.dispose();
    } catch (e) {
      throw new CliError(
        `${PROGRAM} ${command}: ${newest} is not a usable checkpoint (${(e as Error).message.split('\n')[0]}); delete it and run without --resume, or use another --out`,
        3,
      );
    }
  }
  const ac = interruptSignal();
  let bar: Progress = { update() {}, stop() {} };
  let barTotal = 0;
  let lastLoss = NaN;
  let trainSeconds = 0;
  let lossSum = 0;
  let lossN = 0;
  const seconds = new Map<number, number>();
  const total = (info: TrainInfo): number =>
    Number.isFinite(info.totalSteps) ? info.totalSteps : (o.epochs ?? 1) * info.stepsPerEpoch;
  const startBar = (info: TrainInfo): void => {
    barTotal = total(info);
    bar = (o.progress ?? progress)(o.label, barTotal, { quiet, start: info.step });
  };
  let history: History;
  try {
    const what = o.replicas
      ? {
          setup: o.replicas.setup,
          replicas: o.replicas.world,
          setupOptions: o.replicas.options,
          onSetup: o.replicas.onSetup as (made: unknown) => void,
        }
      : { model: o.model!, optimizer: o.optimizer!, train: o.train!, loss: o.loss! };
    if (!o.replicas && (o.model === undefined || o.optimizer === undefined || o.train === undefined || !o.loss))
      throw new Error('demoFit: model, optimizer, train and loss are required without replicas');
    history = await fit<M, B, EB>({
      ...what,
      ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
      ...(o.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: o.timeBudgetSeconds } : {}),
      ...(o.schedule ? { schedule: o.schedule } : {}),
      ...(o.rngs ? { rngs: o.rngs } : {}),
      ...(o.countSamples ? { countSamples: o.countSamples } : {}),
      ...(o.evaluate
        ? {
            evaluate: {
              loader: o.evaluate.loader,
              metrics: o.evaluate.metrics,
              every: o.evaluate.every ?? 0,
              atEpochEnd: o.evaluate.atEpochEnd ?? false,
              ...(o.evaluate.reduce ? { reduce: o.evaluate.reduce } : {}),
            },
          }
        : {}),
      config: { command, ...o.config },
      checkpoint: { storage, keep: 2 },
      resume: o.resume === true,
      signal: ac.signal,
      callbacks: [
        ...(o.callbacks ? [o.callbacks] : []),
        {
          onTrainStart(info) {
            if (info.startStep > 0)
              log(
                `resumed from ${resumeFrom} at step ${info.step} (epoch ${info.epoch + 1}, batch ${info.batchIndex}; planned ${total(info)} steps)`,
              );
            startBar(info);
          },
          onStepEnd(rec, info) {
            if (!Number.isFinite(rec.loss)) return;
            lastLoss = rec.loss;
            lossSum += rec.loss;
            lossN++;
            trainSeconds = info.trainSeconds;
            seconds.set(rec.step, Math.round(info.trainSeconds));
            if (total(info) !== barTotal) {
              // The time-budget plan was made: say so, and draw the bar to the planned end.
              bar.stop();
              log(
                `time budget ${o.timeBudgetSeconds} s: schedule planned for ${total(info)} steps (measured over steps ${info.step - 20}–${info.step})`,
              );
              startBar(info);
            }
            bar.update(Math.min(rec.step, barTotal), {
              loss: rec.loss,
              epoch: info.epoch + 1,
              ...(o.barMetrics?.(rec.step) ?? {}),
            });
            if (interrupt.requested) ac.abort();
          },
          onEvaluateStart() {
            bar.stop();
          },
          onEvaluate(rec, info) {
            log(
              o.evaluate!.message(rec.metrics, {
                step: rec.step,
                epoch: rec.epoch,
                loss: lossN > 0 ? lossSum / lossN : lastLoss,
              }),
            );
            // The bar goes on below the message (it would freeze otherwise).
            startBar(info);
          },
          onTrainEnd(_h, info) {
            trainSeconds = info.trainSeconds;
            bar.stop();
          },
        },
      ],
    });
  } catch (e) {
    bar.stop();
    if (e instanceof ResumeMismatchError)
      throw new CliError(
        `${PROGRAM} ${command}: the checkpoint in ${dir} was made with other options (${e.message.replace(/^fit: cannot resume from '[^']+': option /, '').replace(/; resume with .*$/, '')}); use the same options or another --out`,
      );
    if (e instanceof NonFiniteLossError)
      throw new CliError(`${PROGRAM} ${command}: the loss became ${e.loss} at step ${e.step}; try a smaller --lr`, 4);
    throw e;
  } finally {
    interrupt.onRequest = undefined;
  }
  const interrupted = history.stopReason === 'aborted';
  const stoppedByBudget = history.stopReason === 'timeBudget';
  const checkpoint = history.checkpoint ? join(dir, history.checkpoint) : '';
  if (interrupted)
    log(`interrupted at step ${history.step}: checkpoint saved to ${checkpoint}; continue with --resume --out ${out}`);
  if (stoppedByBudget)
    log(
      `time budget of ${o.timeBudgetSeconds} s reached at step ${history.step}; checkpoint saved (continue with --resume)`,
    );
  const last = history.steps[history.steps.length - 1];
  return {
    history: historyEntries(history, seconds),
    step: history.step,
    epochs: last ? last.epoch + 1 : 0,
    plannedSteps: history.totalSteps,
    interrupted,
    stoppedByBudget,
    trainSeconds,
    lastLoss: last?.loss ?? NaN,
    checkpoint,
    fit: history,
  };
}

/**
 * The demo's history (what metrics.json holds): every 50 steps the mean loss since the previous
 * entry and the learning rate; each evaluation's metrics on the entry of its step (an entry of its
 * own when it fell between them, e.g. at an epoch's end).
 */
export function historyEntries(h: History, seconds: Map<number, number> = new Map()): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let sum = 0;
  let n = 0;
  const byStep = new Map<number, HistoryEntry>();
  for (const r of h.steps) {
    if (Number.isFinite(r.loss)) {
      sum += r.loss;
      n++;
    }
    if (r.step % HISTORY_EVERY === 0) {
      const s = seconds.get(r.step);
      const e: HistoryEntry = {
        step: r.step,
        epoch: r.epoch + 1,
        loss: n > 0 ? sum / n : NaN,
        ...(s !== undefined ? { seconds: s } : {}),
        ...(r.lr !== undefined ? { lr: r.lr } : {}),
      };
      out.push(e);
      byStep.set(r.step, e);
      sum = 0;
      n = 0;
    }
  }
  for (const ev of h.evaluations) {
    const e = byStep.get(ev.step);
    if (e) Object.assign(e, ev.metrics);
    else {
      const r = h.steps[ev.step - 1];
      const s = seconds.get(ev.step);
      const entry: HistoryEntry = {
        step: ev.step,
        epoch: ev.epoch + 1,
        loss: r?.loss ?? NaN,
        ...(s !== undefined ? { seconds: s } : {}),
        ...ev.metrics,
      };
      out.push(entry);
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

/** A training loss for a log line; an evaluation that a resumed run repeats before any step has none. */
export function lossText(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : 'n/a (no step since the resume)';
}
