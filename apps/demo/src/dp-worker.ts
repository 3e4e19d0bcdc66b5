/**
 * Entry of a data-parallel worker thread (see parallel.ts): re-runs the command line of rank 0 as
 * replica `rank`. Its output is dropped; a failure (even one while loading the CLI's modules) is
 * reported to rank 0, which prints it.
 */
import { workerData } from 'node:worker_threads';
import { workerReplica } from './parallel.js';

const dp = workerReplica();
if (!dp) throw new Error('dp-worker.js is started by the wordloom CLI (--workers), not on its own');
const argv = (workerData as { argv: string[] }).argv;
try {
  const { main } = await import('./main.js');
  const code = await main(argv);
  if (code !== 0) dp.fail(`exited with code ${code}`);
} catch (e) {
  const { ReplicaDone } = await import('./parallel.js');
  if (!(e instanceof ReplicaDone)) dp.fail(e instanceof Error ? e.message : String(e));
} finally {
  await dp.close();
}
