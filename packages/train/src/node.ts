/**
 * `@wordloom/train/node`: the Node-only pieces — checkpoints in a folder (`fileStorage`) and a JSONL
 * metrics file (`jsonlLog`). Kept out of the main entry so that browser bundles never see `node:`
 * imports (as `@wordloom/data/node`).
 * @module
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkStorageName, type CheckpointStorage } from './storage.js';
import { evalLine, headerLine, stepLine } from './metrics-log.js';
import type { Callbacks } from './types.js';

const TMP = '.tmp-';

/**
 * A {@link CheckpointStorage} in a folder (created on the first write). `write` is atomic: the bytes go
 * to a temporary file in the same folder, are flushed to disk (`fsync`), and the file is renamed over
 * the old one — a crash leaves the old checkpoint or the new, never half of one. `list` ignores
 * temporary files a crash left behind.
 */
export function fileStorage(dir: string): CheckpointStorage {
  if (typeof dir !== 'string' || dir === '') throw new Error(`fileStorage: dir = ${String(dir)} must be a folder path`);
  let seq = 0;
  return {
    async read(name) {
      checkStorageName('fileStorage.read', name);
      try {
        const b = await readFile(join(dir, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async write(name, bytes) {
      checkStorageName('fileStorage.write', name);
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `${TMP}${process.pid}-${seq++}-${name}`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await rename(tmp, join(dir, name));
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    async list() {
      try {
        return (await readdir(dir)).filter((n) => !n.startsWith(TMP));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
    async remove(name) {
      checkStorageName('fileStorage.remove', name);
      await rm(join(dir, name), { force: true });
    },
  };
}

/** Options of {@link jsonlLog}. */
export interface JsonlLogOptions {
  /**
   * Seconds between writes to the file (lines are buffered in between; evaluations, checkpoints and
   * the end flush at once). @default 2 (a file write per step would cost more than small steps)
   */
  flushEvery?: number;
}

/**
 * A callback writing the metrics of each step and evaluation to `path`, one JSON object per line
 * (format `wordloom-train-metrics v1`, documented in the README and read by `readMetricsJsonl`). A fresh
 * run (step 0) starts the file anew; a resumed run appends a header with its start step.
 */
export function jsonlLog(path: string, opts: JsonlLogOptions = {}): Callbacks {
  if (typeof path !== 'string' || path === '') throw new Error(`jsonlLog: path = ${String(path)} must be a file path`);
  const flushEvery = opts.flushEvery ?? 2;
  if (typeof flushEvery !== 'number' || !(flushEvery >= 0) || !Number.isFinite(flushEvery))
    throw new Error(`jsonlLog: flushEvery = ${String(flushEvery)} must be a finite number >= 0`);
  let buf: string[] = [];
  let lastFlush = 0;
  const flush = (): void => {
    if (buf.length === 0) return;
    appendFileSync(path, buf.join(''));
    buf = [];
    lastFlush = performance.now();
  };
  return {
    onTrainStart(info) {
      mkdirSync(dirname(path), { recursive: true });
      let keep = '';
      if (info.startStep > 0) {
        try {
          keep = readFileSync(path, 'utf8');
          if (keep !== '' && !keep.endsWith('\n')) keep += '\n';
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      writeFileSync(path, `${keep}${headerLine(info.startStep)}\n`);
      lastFlush = performance.now();
    },
    onStepEnd(record, info) {
      buf.push(`${stepLine(record, info.trainSeconds)}\n`);
      if (performance.now() - lastFlush >= flushEvery * 1000) flush();
    },
    onEvaluate(record) {
      buf.push(`${evalLine(record)}\n`);
      flush();
    },
    onCheckpoint() {
      flush();
    },
    onTrainEnd() {
      flush();
    },
  };
}
