/**
 * `indexedDbStorage`: checkpoints in the browser's IndexedDB, behind the same {@link CheckpointStorage}
 * interface as `fileStorage` (Node) and `memoryStorage`. One object store of `name → bytes`; a write is
 * one `readwrite` transaction, so it is atomic (a reader sees the old bytes or the new ones).
 * @module
 */
import { checkStorageName, type CheckpointStorage } from './storage.js';

/** Options of {@link indexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** The object store (one per run, e.g. `'lm-run-1'`). @default 'checkpoints' */
  store?: string;
  /** The `IDBFactory` to use. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/**
 * A {@link CheckpointStorage} in IndexedDB database `database` (created on first use), store `store`.
 * Survives page reloads; `fit({ checkpoint: { storage: indexedDbStorage('my-app') }, resume: true })`
 * continues a run after a reload. Bytes are copied in and out.
 */
export function indexedDbStorage(
  database: string,
  opts: IndexedDbStorageOptions = {},
): CheckpointStorage & {
  /** Closes the database connection (it reopens on the next call). */
  close(): void;
} {
  if (typeof database !== 'string' || database === '')
    throw new Error(`indexedDbStorage: database = ${String(database)} must be a non-empty name`);
  const store = opts.store ?? 'checkpoints';
  if (typeof store !== 'string' || store === '')
    throw new Error(`indexedDbStorage: store = ${String(store)} must be a non-empty name`);
  const factory = opts.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  let db: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    if (factory === undefined) return Promise.reject(new Error('indexedDbStorage: IndexedDB is not available here'));
    db ??= (async () => {
      // Open at the current version; add the store with a version bump if it is missing.
      let d = await request(factory.open(database));
      if (!d.objectStoreNames.contains(store)) {
        const version = d.version + 1;
        d.close();
        const r = factory.open(database, version);
        r.onupgradeneeded = () => {
          if (!r.result.objectStoreNames.contains(store)) r.result.createObjectStore(store);
        };
        d = await request(r);
      }
      d.onversionchange = () => {
        d.close();
        db = undefined;
      };
      return d;
    })().catch((e: unknown) => {
      db = undefined;
      throw e;
    });
    return db;
  };
  return {
    async read(name) {
      checkStorageName('indexedDbStorage.read', name);
      const tx = (await open()).transaction(store, 'readonly');
      const v = (await request(tx.objectStore(store).get(name))) as unknown;
      if (v === undefined) return undefined;
      if (!(v instanceof Uint8Array) && !(v instanceof ArrayBuffer))
        throw new Error(`indexedDbStorage.read: '${name}' in ${database}/${store} is not bytes`);
      return v instanceof Uint8Array ? v.slice() : new Uint8Array(v.slice(0));
    },
    async write(name, bytes) {
      checkStorageName('indexedDbStorage.write', name);
      if (!(bytes instanceof Uint8Array))
        throw new Error(`indexedDbStorage.write: bytes for '${name}' is not a Uint8Array`);
      const tx = (await open()).transaction(store, 'readwrite');
      tx.objectStore(store).put(bytes.slice(), name);
      await done(tx);
    },
    async list() {
      const tx = (await open()).transaction(store, 'readonly');
      return ((await request(tx.objectStore(store).getAllKeys())) as IDBValidKey[]).map(String);
    },
    async remove(name) {
      checkStorageName('indexedDbStorage.remove', name);
      const tx = (await open()).transaction(store, 'readwrite');
      tx.objectStore(store).delete(name);
      await done(tx);
    },
    close() {
      void db?.then((d) => d.close());
      db = undefined;
    },
  };
}
