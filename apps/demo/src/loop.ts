/**
 * The training loop the demo's commands share: epochs of batches, a cosine plan fitted to a time
 * budget, a progress bar with rate and ETA, a loss history, evaluation every N steps, Ctrl-C that
 * stops after the current step, checkpoints to resume from, and data-parallel replicas (rank 0
 * decides when to stop and alone evaluates and writes; see parallel.ts).
 */
import { join } from 'node:path';
import type { Module } from '@wordloom/core';
import type { Optimizer } from '@wordloom/optim';
import { CliError, PROGRAM } from './args.js';
import type { DataParallel } from './parallel.js';
import { installInterruptHandler, interrupt, progress } from './progress.js';
import { loadCheckpoint, saveCheckpoint, since } from './train-util.js';

export interface HistoryEntry {
  step: number;
  epoch: number;
  /** Mean training loss since the previous entry. */
  loss: number;
  seconds: number;
  lr?: number;
  [metric: string]: number | undefined;
}

export interface TrainLoopOptions<B> {
  /** For messages and checkpoints, e.g. `lm shakespeare`. */
  command: string;
  /** Progress bar label. */
  label: string;
  out: string;
  model: Module;
  optimizer: Optimizer;
  /** Everything that defines the run; a `--resume` must ask for the same. */
  config: Record<string, unknown>;
  /** The batches of epoch `e`, the same on every replica. */
  batches(epoch: number): { length: number; get(i: number): B };
  /** One optimizer step on `batch` (a replica takes its own slice); returns the loss. */
  step(batch: B, step: number): number;
  /** The planned number of steps (the length of the learning-rate schedule). */
  plannedSteps: number;
  /** The plan changed (fitted to the time budget, or read from a checkpoint). */
  onPlan?(plannedSteps: number): void;
  /** Stop after this many epochs as well (default: only `plannedSteps` stops the run). */
  epochs?: number;
  /** Stop training after this many seconds (evaluation pauses excluded). */
  timeBudgetSeconds?: number;
  /** Fit `plannedSteps` to the time budget from the time of steps 4–23 (after one-off start-up costs). */
  planFromBudget?: boolean;
  resume?: boolean;
  quiet?: boolean;
  log(s: string): void;
  /** Learning rate at a step, for the history. */
  lr?(step: number): number;
  /** Extra numbers for the progress bar (e.g. the teacher-forcing ratio). */
  barMetrics?(step: number): Record<string, number>;
  /** Called before the first batch of each epoch (e.g. to reset a carried recurrent state). */
  onEpochStart?(epoch: number): void;
  /** Evaluate every N steps (a multiple of 50; 0 = never) and/or at the end of each epoch but the last. */
  evalEvery?: number;
  evalAtEpochEnd?: boolean;
  /** Rank 0 only: metrics for the history and a line for the log. */
  evaluate?(at: { step: number; epoch: number; loss: number }): { metrics: Record<string, number>; message: string };
  dp: DataParallel;
}

export interface TrainLoopResult {
  step: number;
  /** Epochs started (the last may be partial). */
  epochs: number;
  plannedSteps: number;
  interrupted: boolean;
  stoppedByBudget: boolean;
  trainSeconds: number;
  /** Loss of the last step. */
  lastLoss: number;
  history: HistoryEntry[];
  checkpoint: string;
}

const HISTORY_EVERY = 50;

/** The run options every command passes on to {@link trainLoop} the same way. */
export function runOptions(
  opts: { timeBudgetSeconds?: number; resume?: boolean; quiet?: boolean },
  log: (s: string) => void,
): Pick<TrainLoopOptions<unknown>, 'timeBudgetSeconds' | 'resume' | 'quiet' | 'log'> {
  return {
    ...(opts.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: opts.timeBudgetSeconds } : {}),
    resume: opts.resume === true,
    quiet: opts.quiet === true,
    log,
  };
}

/** Thrown by {@link trainLoop} on a data-parallel replica other than rank 0 once training is over: rank 0 evaluates and writes. */
export class ReplicaDone extends Error {
  constructor() {
    super('data-parallel replica: training finished');
    this.name = 'ReplicaDone';
  }
}

export async function trainLoop<B>(o: TrainLoopOptions<B>): Promise<TrainLoopResult> {
  const { dp, model, optimizer, out, command } = o;
  const primary = dp.primary;
  const log = o.log;
  const quiet = o.quiet === true || !primary;
  let plannedSteps = o.plannedSteps;
  const history: HistoryEntry[] = [];
  let step = 0;
  let epoch = 0;
  let batchInEpoch = 0;
  if (o.resume) {
    const meta = loadCheckpoint(out, model, optimizer, { command, config: o.config });
    step = meta.step;
    epoch = Number(meta.progress.epoch ?? 0);
    batchInEpoch = Number(meta.progress.batchInEpoch ?? 0);
    plannedSteps = Number(meta.progress.plannedSteps ?? plannedSteps);
    o.onPlan?.(plannedSteps);
    history.push(...((meta.progress.history as HistoryEntry[] | undefined) ?? []));
    log(
      `resumed from ${join(out, 'checkpoint.safetensors')} at step ${step} (epoch ${epoch + 1}, batch ${batchInEpoch}; planned ${plannedSteps} steps)`,
    );
  }
  // `at` = where a resumed run continues: an epoch and a batch in it.
  const save = (at = { epoch, batchInEpoch }): string =>
    primary
      ? saveCheckpoint(out, model, optimizer, {
          command,
          config: o.config,
          step,
          progress: { ...at, plannedSteps, history },
        })
      : '';
  const budget = o.timeBudgetSeconds;
  const planFromBudget = o.planFromBudget === true && budget !== undefined && !o.resume;
  if (primary) installInterruptHandler();
  const trainStart = performance.now();
  let budgetStart = trainStart;
  let bar = progress(o.label, plannedSteps, { quiet, start: step });
  let lossSum = 0;
  let lossN = 0;
  let lastLoss = NaN;
  let interrupted = false;
  let stoppedByBudget = false;
  let stepEpoch = step > 0 ? epoch - (batchInEpoch === 0 ? 1 : 0) : -1; // epoch of the last step taken
  // The plan times steps planFrom..planAt: not the first ones, which include one-off costs (kernel
  // warm-up, data-parallel workers still loading their data).
  const planFrom = step + 3;
  const planAt = planFrom + 20;
  let planStart = trainStart;
  const evaluate = (): Record<string, number> => {
    if (!primary || !o.evaluate) return {};
    const e0 = performance.now();
    const r = o.evaluate({ step, epoch, loss: lossN > 0 ? lossSum / lossN : lastLoss });
    budgetStart += performance.now() - e0; // evaluation does not eat the training budget
    bar.stop();
    log(r.message);
    return r.metrics;
  };
  outer: for (; o.epochs === undefined || epoch < o.epochs; epoch++) {
    const batches = o.batches(epoch);
    if (batchInEpoch === 0) o.onEpochStart?.(epoch);
    for (let bi = batchInEpoch; bi < batches.length; bi++) {
      // Let the event loop run: a SIGINT handler (Ctrl-C) only fires between macrotasks.
      if (primary) await new Promise<void>((r) => setImmediate(r));
      const wantsStop = interrupt.requested || (budget !== undefined && since(budgetStart) > budget);
      const c = dp.control({ stop: primary && (wantsStop || step >= plannedSteps), value: plannedSteps });
      if (c.value !== plannedSteps) {
        plannedSteps = c.value; // a replica learns rank 0's plan here
        o.onPlan?.(plannedSteps);
      }
      if (c.stop) {
        if (step < plannedSteps) {
          interrupted = interrupt.requested;
          stoppedByBudget = !interrupted;
        }
        break outer;
      }
      lastLoss = o.step(batches.get(bi), step);
      if (!Number.isFinite(lastLoss))
        throw new CliError(
          `${PROGRAM} ${command}: the loss became ${lastLoss} at step ${step + 1}; try a smaller --lr`,
          4,
        );
      step++;
      stepEpoch = epoch;
      batchInEpoch = bi + 1;
      lossSum += lastLoss;
      lossN++;
      if (step === planFrom) planStart = performance.now();
      if (planFromBudget && step === planAt && primary) {
        // Fit the schedule to the time budget, from the measured time per step (evaluation pauses excluded).
        const perStep = since(planStart) / (planAt - planFrom);
        const left = budget - since(budgetStart);
        plannedSteps = Math.max(step + 1, step + Math.floor((0.97 * left) / perStep));
        o.onPlan?.(plannedSteps);
        bar.stop();
        log(
          `time budget ${budget} s: ${perStep.toFixed(2)} s/step${dp.world > 1 ? ` with ${dp.world} replicas` : ''}, schedule planned for ${plannedSteps} steps`,
        );
        bar = progress(o.label, plannedSteps, { quiet, start: step });
      }
      bar.update(Math.min(step, plannedSteps), { loss: lastLoss, epoch: epoch + 1, ...(o.barMetrics?.(step) ?? {}) });
      if (step % HISTORY_EVERY === 0) {
        const entry: HistoryEntry = {
          step,
          epoch: epoch + 1,
          loss: lossSum / lossN,
          seconds: Math.round(since(trainStart)),
          ...(o.lr ? { lr: o.lr(step) } : {}),
        };
        if (o.evalEvery && o.evalEvery > 0 && step % o.evalEvery === 0) {
          Object.assign(entry, evaluate());
          save();
        }
        lossSum = 0;
        lossN = 0;
        history.push(entry);
      }
    }
    const finished = batchInEpoch >= batches.length;
    batchInEpoch = 0;
    const last = o.epochs !== undefined && epoch + 1 >= o.epochs;
    if (finished && o.evalAtEpochEnd && !last && step < plannedSteps && primary) {
      const metrics = evaluate();
      history.push({ step, epoch: epoch + 1, loss: lastLoss, seconds: Math.round(since(trainStart)), ...metrics });
      save({ epoch: epoch + 1, batchInEpoch: 0 });
    }
  }
  bar.stop();
  const trainSeconds = since(trainStart);
  const checkpoint = save();
  if (interrupted)
    log(`interrupted at step ${step}: checkpoint saved to ${checkpoint}; continue with --resume --out ${out}`);
  if (stoppedByBudget)
    log(`time budget of ${budget} s reached at step ${step}; checkpoint saved (continue with --resume)`);
  if (!primary) throw new ReplicaDone();
  return {
    step,
    epochs: stepEpoch + 1,
    plannedSteps,
    interrupted,
    stoppedByBudget,
    trainSeconds,
    lastLoss,
    history,
    checkpoint,
  };
}
