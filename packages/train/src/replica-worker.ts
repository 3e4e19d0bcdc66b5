/**
 * Entry of a replica thread in Node (`worker_threads`), started by `fit` with `replicas` ≥ 2.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReplicaInit, ToReplica } from './replicas.js';
import { messageQueue, runReplica } from './replica-run.js';

const init = workerData as ReplicaInit | undefined;
if (parentPort === null || init?.kind !== 'wordloom-train-replica')
  throw new Error('replica-worker.js is started by fit({ replicas }) of @wordloom/train, not on its own');
const port = parentPort;
const q = messageQueue<ToReplica>();
port.on('message', (m: ToReplica) => q.push(m));
await runReplica(init, { post: (m) => port.postMessage(m), messages: q.iterable });
port.close();
