/**
 * Scaling transformations: by a constant, by a schedule, by a (negated) learning rate.
 *
 * References: optax `scale`, `scale_by_schedule`, `scale_by_learning_rate`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, LearningRate, Schedule } from './types.js';
import { checkNumber, mapNamed } from './internal/named.js';

/** Multiplies updates by a constant `factor`. State: `null`. */
export function scale(factor: number): GradientTransformation<null> {
  checkNumber('scale', 'factor', factor, () => true, 'a finite number');
  return {
    init: () => null,
    update: (grads) => ({ updates: mapNamed(grads, (g) => tf.mul(g, factor)), state: null }),
  };
}

/** State of `scaleBySchedule`: how many updates have been made. */
export interface ScheduleState {
  [key: string]: number;
  count: number;
}

/**
 * Multiplies updates by `schedule(count)`, where `count` is the number of updates already made
 * (0 on the first step), then increments `count` — torch's `scheduler.step()` after each `optimizer.step()`.
 *
 * @throws if the schedule returns a non-finite value.
 */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<ScheduleState> {
  return {
    init: () => ({ count: 0 }),
    update(grads, state) {
      const factor = schedule(state.count);
      if (!Number.isFinite(factor)) {
        throw new Error(`scaleBySchedule: schedule(${state.count}) = ${factor} is not finite`);
      }
      return { updates: mapNamed(grads, (g) => tf.mul(g, factor)), state: { count: state.count + 1 } };
    },
  };
}

/**
 * Multiplies updates by `-lr` (a number or a schedule), turning descent directions into updates to add.
 * Put it last in a chain, as torch applies `lr` after momentum and preconditioning.
 */
export function scaleByLearningRate(
  lr: LearningRate,
): GradientTransformation<null> | GradientTransformation<ScheduleState> {
  if (typeof lr === 'number') {
    checkNumber('scaleByLearningRate', 'lr', lr, (x) => x >= 0, '>= 0');
    return scale(-lr);
  }
  return scaleBySchedule((step) => -lr(step));
}
