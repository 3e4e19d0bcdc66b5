/** Shared helpers for the pages: fetching bundled assets with a visible message when missing. */

export interface App {
  /** The tfjs backend the page runs on (`wasm`, `webgl`, `webgpu` or `cpu`). */
  backend: string;
  /** Fetches a file shipped with the page (public/…); throws MissingAsset when absent. */
  fetchAsset(path: string): Promise<Response>;
}

export class MissingAsset extends Error {
  constructor(
    readonly path: string,
    readonly hint: string,
  ) {
    super(`missing model file ${path}: ${hint}`);
  }
}

/** Hints naming how each bundled file is made, shown when one is missing. */
export const ASSET_HINTS: Record<string, string> = {
  'models/': 'run `pnpm --filter @wordloom/demo-web assets` to train the small models with the CLI and copy them here',
};

export async function fetchAsset(path: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`./${path}`);
  } catch (e) {
    throw new MissingAsset(path, `could not be fetched (${(e as Error).message})`);
  }
  const type = res.headers.get('content-type') ?? '';
  // Vite's dev server answers unknown paths with index.html; treat that as missing too.
  if (!res.ok || (type.includes('text/html') && !path.endsWith('.html'))) {
    const hint =
      Object.entries(ASSET_HINTS).find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'not shipped with this build';
    throw new MissingAsset(path, hint);
  }
  return res;
}

/** gzip's first two bytes (RFC 1952); no UTF-8 text or JSON starts with them. */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * The text of a fetched file that is stored gzip-compressed (`.gz`). Hosts differ: a plain
 * static server sends the gzip bytes as they are, while Vite's `dev`/`preview` servers (and
 * many CDNs) send them with `Content-Encoding: gzip`, so the browser has already inflated
 * them. The bytes decide: they are inflated only when they start with gzip's magic 1f 8b.
 */
export async function gzipAwareText(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text();
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

/** A visible notice (not a blank page) for a page that cannot run. */
export function notice(text: string, kind: 'info' | 'error' = 'info'): HTMLElement {
  return h(
    'div',
    { class: kind === 'error' ? 'notice error' : 'notice', role: kind === 'error' ? 'alert' : 'status' },
    text,
  );
}

/** What a training worker posts: progress, the result, or an error. */
export type WorkerMessage<P, D> =
  ({ kind: 'progress' } & P) | ({ kind: 'done' } & D) | { kind: 'error'; message: string };

/**
 * Runs one training job in `worker`: disables `button` while it runs, shows progress and
 * errors in `status`, and terminates the worker when it finishes.
 */
export function trainInWorker<P, D>(
  worker: Worker,
  job: unknown,
  ui: { button: HTMLButtonElement; status: HTMLElement; starting: string; onProgress(p: P): void; onDone(d: D): void },
): void {
  ui.button.disabled = true;
  ui.status.textContent = ui.starting;
  worker.onmessage = (e: MessageEvent<WorkerMessage<P, D>>) => {
    const m = e.data;
    if (m.kind === 'progress') {
      ui.onProgress(m as P);
      return;
    }
    worker.terminate();
    ui.button.disabled = false;
    if (m.kind === 'error')
      ui.status.replaceChildren(notice(`training failed: ${(m as { message: string }).message}`, 'error'));
    else ui.onDone(m as D);
  };
  worker.postMessage(job);
}
