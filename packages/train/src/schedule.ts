/**
 * A learning-rate schedule whose length is decided by the trainer: the total number of steps
 * is known only once `fit` has read the loader's length, the epochs and, with a time budget,
 * measured how long a step takes. `plannedSchedule(make)` is a plain optim `Schedule` (pass it
 * as an optimizer's `lr`) that `fit` re-plans when the total is known.
 * @module
 */
import type { Schedule } from '@wordloom/optim';

/** A `Schedule` whose shape depends on the planned total number of steps; `fit` calls {@link PlannedSchedule.plan}. */
export interface PlannedSchedule extends Schedule {
  /** Re-builds the schedule for `totalSteps` (called by `fit`; call it yourself outside `fit`). */
  plan(totalSteps: number): void;
  /** The total the schedule is built for now. */
  readonly totalSteps: number;
}

/** The total a planned schedule sees before any plan: large, so that a warmup/decay shape is "still at its start". */
export const UNPLANNED_TOTAL = Number.MAX_SAFE_INTEGER;

/**
 * Wraps `make(totalSteps) => Schedule` so that the trainer can fit it to the run's length.
 *
 * @example
 * const lr = plannedSchedule((total) => warmupCosineSchedule({ peak: 1e-3, warmupSteps: 100, totalSteps: total }));
 * const optimizer = new Optimizer(model, adamw({ lr }));
 * await fit({ model, optimizer, train, loss, schedule: lr, timeBudgetSeconds: 600 });
 *
 * Until the first `plan(total)`, the schedule is built for {@link UNPLANNED_TOTAL} steps (2^53 − 1), so warmup
 * behaves as planned and a decay has not started.
 * @throws if `make` is not a function, or (from `plan`) if `totalSteps` is not an integer >= 1
 */
export function plannedSchedule(make: (totalSteps: number) => Schedule): PlannedSchedule {
  if (typeof make !== 'function') throw new Error('plannedSchedule: make must be a function (totalSteps) => Schedule');
  let total = UNPLANNED_TOTAL;
  let inner: Schedule | undefined;
  const build = (): Schedule => {
    const s = make(total);
    if (typeof s !== 'function') throw new Error(`plannedSchedule: make(${total}) did not return a schedule function`);
    return s;
  };
  const fn = ((step: number) => (inner ??= build())(step)) as PlannedSchedule;
  Object.defineProperty(fn, 'totalSteps', { get: () => total, enumerable: true });
  fn.plan = (totalSteps: number) => {
    if (!Number.isInteger(totalSteps) || totalSteps < 1)
      throw new Error(`plannedSchedule.plan: totalSteps = ${totalSteps} must be an integer >= 1`);
    if (totalSteps === total && inner !== undefined) return;
    total = totalSteps;
    inner = build();
  };
  return fn;
}

/** Whether a schedule is a {@link PlannedSchedule}. */
export function isPlannedSchedule(s: unknown): s is PlannedSchedule {
  return typeof s === 'function' && typeof (s as Partial<PlannedSchedule>).plan === 'function';
}
