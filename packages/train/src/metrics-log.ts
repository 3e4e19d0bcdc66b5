/**
 * The JSONL metrics format `jsonlLog` (in `@wordloom/train/node`) writes, and its reader — which
 * runs anywhere, e.g. in a web page that draws training curves. Format `wordloom-train-metrics v1`:
 * the first line is a header `{"format":"wordloom-train-metrics v1","startStep":0}`; then one JSON
 * object per line:
 *
 * - a step: `{"type":"step","step":120,"epoch":0,"loss":1.234,"lr":0.0003,"gradNorm":0.9,"samples":64,"seconds":41.2}`
 *   (`lr`, `gradNorm`, `skipped` only when known; `seconds` = training seconds so far);
 * - an evaluation: `{"type":"eval","step":120,"epoch":0,"trigger":"every","accuracy":0.87,…}` — the metrics
 *   flattened beside the keys above, so each line is a curve point as the demo's `metrics.json` history is.
 *
 * A resumed run writes a new header with its `startStep`; the reader keeps, for each step, the line
 * written last (the steps after the checkpoint that the interrupted run had already logged are redone).
 * @module
 */
import type { EvalRecord, StepRecord } from './types.js';

/** The header line's format name. */
export const METRICS_FORMAT = 'wordloom-train-metrics v1';

/** A step line. */
export interface MetricsStepLine extends StepRecord {
  type: 'step';
  /** Training seconds so far. */
  seconds: number;
}

/** An evaluation line: the metrics flattened. */
export interface MetricsEvalLine {
  type: 'eval';
  step: number;
  epoch: number;
  trigger: EvalRecord['trigger'];
  [metric: string]: number | string;
}

/** The step line for a record. */
export function stepLine(record: StepRecord, seconds: number): string {
  const o: MetricsStepLine = { type: 'step', ...record, seconds: Math.round(seconds * 1000) / 1000 };
  return JSON.stringify(o);
}

/** The evaluation line for a record (metric names `type`, `step`, `epoch`, `trigger` are prefixed with `metric_`). */
export function evalLine(record: EvalRecord): string {
  const o: MetricsEvalLine = { type: 'eval', step: record.step, epoch: record.epoch, trigger: record.trigger };
  for (const [k, v] of Object.entries(record.metrics)) o[k in o ? `metric_${k}` : k] = v;
  return JSON.stringify(o);
}

/** The header line. */
export function headerLine(startStep: number): string {
  return JSON.stringify({ format: METRICS_FORMAT, startStep });
}

/**
 * Reads a metrics JSONL text: the steps and evaluations in step order, later lines replacing earlier
 * ones for the same step (a resumed run redoes steps).
 * @throws naming the line for a line that is not JSON, or a file that does not start with the header
 */
export function readMetricsJsonl(text: string): { steps: MetricsStepLine[]; evaluations: MetricsEvalLine[] } {
  const steps = new Map<number, MetricsStepLine>();
  const evals = new Map<string, MetricsEvalLine>();
  const lines = text.split('\n');
  let sawHeader = false;
  lines.forEach((raw, i) => {
    const l = raw.trim();
    if (l === '') return;
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch (e) {
      throw new Error(`readMetricsJsonl: line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
    if (o === null || typeof o !== 'object') throw new Error(`readMetricsJsonl: line ${i + 1} is not an object`);
    const r = o as { format?: unknown; type?: unknown; step?: unknown; startStep?: unknown; trigger?: unknown };
    if (r.format !== undefined) {
      if (r.format !== METRICS_FORMAT)
        throw new Error(
          `readMetricsJsonl: line ${i + 1}: format ${JSON.stringify(r.format)}, expected '${METRICS_FORMAT}'`,
        );
      sawHeader = true;
      // A resumed run redoes the steps after its checkpoint: forget what the interrupted run logged past it.
      const from = typeof r.startStep === 'number' ? r.startStep : 0;
      for (const k of [...steps.keys()]) if (k > from) steps.delete(k);
      for (const [k, e] of [...evals]) if (e.step > from) evals.delete(k);
      return;
    }
    if (!sawHeader) throw new Error(`readMetricsJsonl: line ${i + 1} comes before the '${METRICS_FORMAT}' header`);
    if (typeof r.step !== 'number') throw new Error(`readMetricsJsonl: line ${i + 1} has no numeric step`);
    if (r.type === 'step') steps.set(r.step, o as MetricsStepLine);
    else if (r.type === 'eval') evals.set(`${r.step}/${String(r.trigger)}`, o as MetricsEvalLine);
  });
  return {
    steps: [...steps.values()].sort((a, b) => a.step - b.step),
    evaluations: [...evals.values()].sort((a, b) => a.step - b.step),
  };
}
