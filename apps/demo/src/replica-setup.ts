/**
 * The demo's setup module for `fit({ setup, replicas })` of @wordloom/train: each data-parallel
 * replica (a worker thread) imports this file and calls `setup`, which builds the training objects
 * of the command named in the options from the data rank 0 prepared and sent (encoded text or
 * reviews), so the replicas do not read or tokenize anything themselves.
 */
import type { ReplicaSetupContext, ReplicaSetupResult } from '@wordloom/train';
import type { ClassifySetupOptions } from './classify/setup.js';
import type { LmSetupOptions } from './lm/setup.js';
import type { PtbSetupOptions } from './lm/ptb-setup.js';

export type DemoSetupOptions = LmSetupOptions | ClassifySetupOptions | PtbSetupOptions;

export async function setup(ctx: ReplicaSetupContext): Promise<ReplicaSetupResult> {
  const o = ctx.options as DemoSetupOptions;
  if (o?.command === 'lm') return (await import('./lm/setup.js')).lmSetup(o) as unknown as ReplicaSetupResult;
  if (o?.command === 'ptb') return (await import('./lm/ptb-setup.js')).ptbSetup(o) as unknown as ReplicaSetupResult;
  if (o?.command === 'classify')
    return (await import('./classify/setup.js')).classifySetup(o) as unknown as ReplicaSetupResult;
  throw new Error(`replica-setup: unknown command ${JSON.stringify((o as { command?: unknown })?.command)}`);
}
