/**
 * Where checkpoints go: a four-method interface (read, write, list, remove) so that a file
 * folder (`fileStorage` in `@wordloom/train/node`), memory (`memoryStorage`, here) and later
 * IndexedDB in the browser are interchangeable. Names are flat file names such as
 * `checkpoint-000000120.safetensors`.
 * @module
 */

/** A flat store of named byte blobs. `write` must be atomic: a reader sees the old bytes or the new, never a mix. */
export interface CheckpointStorage {
  /** The bytes stored under `name`, or `undefined` if there are none. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `name`, replacing what was there, atomically. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** The names stored (any order). */
  list(): Promise<string[]>;
  /** Removes `name`; no error if it is absent. */
  remove(name: string): Promise<void>;
}

/** Checks a storage name: non-empty, no path separators, no `.`/`..` (a name must not escape its folder). */
export function checkStorageName(fn: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new Error(`${fn}: name '${String(name)}' must be a plain file name (no '/', '\\', NUL, '.' or '..')`);
  }
}

/**
 * A {@link CheckpointStorage} in memory (a `Map`): for tests, and for short runs in a page that
 * only needs to survive an abort within the same session. The bytes are copied in and out.
 */
export function memoryStorage(): CheckpointStorage & { readonly files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    async read(name) {
      checkStorageName('memoryStorage.read', name);
      const b = files.get(name);
      return b === undefined ? undefined : b.slice();
    },
    async write(name, bytes) {
      checkStorageName('memoryStorage.write', name);
      if (!(bytes instanceof Uint8Array))
        throw new Error(`memoryStorage.write: bytes for '${name}' is not a Uint8Array`);
      files.set(name, bytes.slice());
    },
    async list() {
      return [...files.keys()];
    },
    async remove(name) {
      checkStorageName('memoryStorage.remove', name);
      files.delete(name);
    },
  };
}
