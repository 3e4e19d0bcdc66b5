/**
 * Facebook fastText's binary model format (`.bin`, what `fasttext` 0.9.2 `saveModel` writes and
 * gensim's `load_facebook_model` reads) and the `.vec` text format.
 *
 * Layout (little-endian; fastText 0.9.2 `FastText::saveModel`, `Args::save`, `Dictionary::save`,
 * `DenseMatrix::save`): int32 magic 793712314, int32 version 12; args — int32 dim, ws, epoch,
 * minCount, neg, wordNgrams, loss (1 hs, 2 ns, 3 softmax, 4 ova), model (1 cbow, 2 sg, 3 sup),
 * bucket, minn, maxn, lrUpdateRate, float64 t; dictionary — int32 size, nwords, nlabels,
 * int64 ntokens, int64 pruneidx_size, then `size` entries (word bytes, NUL, int64 count, int8
 * type 0 word / 1 label), then pruneidx_size pairs of int32; bool quant_input; input matrix
 * (int64 rows, int64 cols, rows×cols float32); bool qout; output matrix (same layout).
 */
import { FastTextKeyedVectors } from './fasttext.js';
import { writeWord2VecFormat } from './formats.js';
import { nodeBuiltin } from './internal/node.js';

const MAGIC = 793712314;
const VERSION = 12;

/** The training arguments stored in a `.bin` (fastText's names). */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  /** 'hs' | 'ns' | 'softmax' | 'ova' */
  loss: FastTextLoss;
  /** 'cbow' | 'skipgram' | 'supervised' */
  model: FastTextModelName;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  t: number;
}

export type FastTextLoss = 'hs' | 'ns' | 'softmax' | 'ova';
export type FastTextModelName = 'cbow' | 'skipgram' | 'supervised';

const LOSSES: FastTextLoss[] = ['hs', 'ns', 'softmax', 'ova'];
const MODELS: FastTextModelName[] = ['cbow', 'skipgram', 'supervised'];

/** A fastText model as read from / written to a `.bin`. */
export interface FastTextModel {
  args: FastTextArgs;
  /** Vectors (vocabulary + n-gram rows); `wv.vectorsVocab` / `wv.vectorsNgrams` are the input matrix. */
  wv: FastTextKeyedVectors;
  /** Word counts by id. */
  counts: Float64Array;
  /** Tokens in the training corpus (fastText's `ntokens`). */
  ntokens: number;
  /** The output matrix (rows × dim): negative-sampling rows per word (`ns`) or inner nodes (`hs`). */
  output: Float32Array;
  /** Rows of `output`. */
  outputRows: number;
}

/** Options of {@link readFastTextBin}. */
export interface ReadFastTextOptions {
  /** Applied to words looked up in the returned vectors (see {@link FastTextKeyedVectors}). */
  wordTransform?: (word: string) => string;
}

class Reader {
  private p = 0;
  private readonly dv: DataView;
  constructor(
    private readonly b: Uint8Array,
    private readonly fn: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get pos(): number {
    return this.p;
  }
  need(n: number, what: string): void {
    if (this.p + n > this.b.length) {
      throw new Error(
        `${this.fn}: the file ends early (truncated or not a fastText .bin): ${what} needs ${n} bytes at offset ${this.p}, but the file has ${this.b.length} bytes`,
      );
    }
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.p, true);
    this.p += 4;
    return v;
  }
  i64(what: string): number {
    this.need(8, what);
    const v = this.dv.getBigInt64(this.p, true);
    this.p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`${this.fn}: ${what} = ${v} at offset ${this.p - 8} is out of range (malformed file)`);
    }
    return Number(v);
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.dv.getFloat64(this.p, true);
    this.p += 8;
    return v;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.p++]!;
  }
  cstring(what: string): Uint8Array {
    const end = this.b.indexOf(0, this.p);
    if (end < 0) throw new Error(`${this.fn}: the file ends inside ${what} (no NUL terminator after offset ${this.p})`);
    const s = this.b.subarray(this.p, end);
    this.p = end + 1;
    return s;
  }
  floats(count: number, what: string): Float32Array {
    this.need(count * 4, what);
    const out = new Float32Array(count);
    // copy the (possibly unaligned) bytes into the result's own buffer (not `b.slice`: on a
    // Node Buffer that is a view of the shared pool, not a copy)
    new Uint8Array(out.buffer).set(this.b.subarray(this.p, this.p + count * 4));
    this.p += count * 4;
    return out;
  }
}

/**
 * Reads a fastText `.bin` model (fastText 0.9.2 / gensim's `save_facebook_model`): unsupervised
 * (`skipgram`, `cbow`) models with a dense input matrix. Every size in the file is checked
 * against the bytes that follow before anything is allocated.
 * @throws on a bad magic number or version, a truncated or malformed file, a quantized model
 * (`.ftz`), a supervised model (labels), or a dictionary pruned by quantization.
 */
export function readFastTextBin(bytes: Uint8Array, opts: ReadFastTextOptions = {}): FastTextModel {
  const fn = 'readFastTextBin';
  const r = new Reader(bytes, fn);
  const magic = r.i32('the magic number');
  if (magic !== MAGIC) {
    throw new Error(`${fn}: not a fastText .bin model (magic number ${magic}, expected ${MAGIC})`);
  }
  const version = r.i32('the version');
  if (version !== 11 && version !== 12) {
    throw new Error(`${fn}: fastText file format version ${version} is not supported (11 and 12 are)`);
  }
  const a = (name: string): number => r.i32(`args.${name}`);
  const dim = a('dim');
  const ws = a('ws');
  const epoch = a('epoch');
  const minCount = a('minCount');
  const neg = a('neg');
  const wordNgrams = a('wordNgrams');
  const lossId = a('loss');
  const modelId = a('model');
  const bucket = a('bucket');
  const minn = a('minn');
  const maxn = a('maxn');
  const lrUpdateRate = a('lrUpdateRate');
  const t = r.f64('args.t');
  const loss = LOSSES[lossId - 1];
  const model = MODELS[modelId - 1];
  if (loss === undefined) throw new Error(`${fn}: args.loss = ${lossId} is not a fastText loss (1..4)`);
  if (model === undefined) throw new Error(`${fn}: args.model = ${modelId} is not a fastText model (1..3)`);
  if (!(dim >= 1)) throw new Error(`${fn}: args.dim = ${dim} must be >= 1`);
  if (bucket < 0) throw new Error(`${fn}: args.bucket = ${bucket} must be >= 0`);
  if (model === 'supervised') {
    throw new Error(`${fn}: supervised (classifier) models are not supported; only skipgram and cbow word vectors`);
  }
  const size = r.i32('dictionary size');
  const nwords = r.i32('dictionary nwords');
  const nlabels = r.i32('dictionary nlabels');
  const ntokens = r.i64('dictionary ntokens');
  const pruneidxSize = r.i64('dictionary pruneidx_size');
  if (size < 0 || nwords < 0 || nlabels < 0 || nwords + nlabels !== size) {
    throw new Error(`${fn}: malformed dictionary header: size ${size}, nwords ${nwords}, nlabels ${nlabels}`);
  }
  if (nlabels > 0) throw new Error(`${fn}: the dictionary has ${nlabels} labels (a supervised model), not supported`);
  // each entry takes at least 1 (NUL) + 8 + 1 bytes
  r.need(size * 10, `${size} dictionary entries`);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const words: string[] = new Array(nwords);
  const counts = new Float64Array(nwords);
  const seen = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    const raw = r.cstring(`dictionary entry ${i}`);
    let w: string;
    try {
      w = dec.decode(raw);
    } catch {
      throw new Error(`${fn}: dictionary entry ${i} is not valid UTF-8`);
    }
    counts[i] = r.i64(`the count of dictionary entry ${i}`);
    const type = r.u8(`the type of dictionary entry ${i}`);
    if (type !== 0) throw new Error(`${fn}: dictionary entry ${i} (${JSON.stringify(w)}) has type ${type}, not a word`);
    const prev = seen.get(w);
    if (prev !== undefined) throw new Error(`${fn}: dictionary entries ${prev} and ${i} are both ${JSON.stringify(w)}`);
    seen.set(w, i);
    words[i] = w;
  }
  if (pruneidxSize > 0) {
    throw new Error(
      `${fn}: the dictionary is pruned (pruneidx_size ${pruneidxSize}, from quantization): not supported`,
    );
  }
  const quantInput = r.u8('the quant_input flag');
  if (quantInput !== 0) {
    throw new Error(`${fn}: quantized models (.ftz, product-quantized input matrix) are not supported`);
  }
  const matrix = (which: string): { rows: number; cols: number; data: Float32Array } => {
    const rows = r.i64(`the ${which} matrix rows`);
    const cols = r.i64(`the ${which} matrix cols`);
    if (rows < 0 || cols !== dim) {
      throw new Error(`${fn}: the ${which} matrix is ${rows}×${cols}, expected columns = dim = ${dim}`);
    }
    const avail = bytes.length - r.pos;
    if (rows * cols * 4 > avail) {
      throw new Error(
        `${fn}: the ${which} matrix claims ${rows}×${cols} float32 (${rows * cols * 4} bytes) but only ${avail} bytes follow (truncated file)`,
      );
    }
    return { rows, cols, data: r.floats(rows * cols, `the ${which} matrix`) };
  };
  const input = matrix('input');
  if (input.rows !== nwords + bucket) {
    throw new Error(`${fn}: the input matrix has ${input.rows} rows, expected nwords + bucket = ${nwords + bucket}`);
  }
  const qout = r.u8('the qout flag');
  if (qout !== 0) throw new Error(`${fn}: quantized output matrices (.ftz) are not supported`);
  const output = matrix('output');
  if (r.pos !== bytes.length) {
    throw new Error(`${fn}: ${bytes.length - r.pos} unexpected bytes after the output matrix (malformed file)`);
  }
  const wv = new FastTextKeyedVectors({
    words,
    vectorsVocab: input.data.slice(0, nwords * dim),
    vectorsNgrams: input.data.slice(nwords * dim),
    dim,
    minn,
    maxn: maxn,
    counts,
    wordTransform: opts.wordTransform,
  });
  return {
    args: { dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate, t },
    wv,
    counts,
    ntokens,
    output: output.data,
    outputRows: output.rows,
  };
}

/** Options of {@link writeFastTextBin}: args not known from the vectors (fastText's defaults). */
export interface WriteFastTextOptions {
  /** Training arguments to record; missing ones take fastText's defaults (ws 5, epoch 5, minCount 5, neg 5, loss ns, model skipgram, lrUpdateRate 100, t 1e-4). */
  args?: Partial<FastTextArgs>;
  /** Word counts (default: `wv.kv.counts`, else 1 each). */
  counts?: ArrayLike<number>;
  /** fastText's `ntokens` (default: the sum of the counts). */
  ntokens?: number;
  /**
   * The output matrix (default: zeros, V×dim — enough for the vectors; continuing training of
   * such a file in fastText starts its output layer from zero).
   */
  output?: Float32Array;
}

/** Writes a fastText `.bin` (version 12) that fastText 0.9.2 and gensim load. */
export function writeFastTextBin(wv: FastTextKeyedVectors, opts: WriteFastTextOptions = {}): Uint8Array {
  const fn = 'writeFastTextBin';
  const V = wv.size;
  const D = wv.dim;
  const A: FastTextArgs = {
    dim: D,
    ws: 5,
    epoch: 5,
    minCount: 5,
    neg: 5,
    wordNgrams: 1,
    loss: 'ns',
    model: 'skipgram',
    lrUpdateRate: 100,
    t: 1e-4,
    ...opts.args,
    bucket: wv.bucket,
    minn: wv.minn,
    maxn: wv.maxn,
  };
  if (A.dim !== D) throw new Error(`${fn}: args.dim = ${A.dim} but the vectors have dim ${D}`);
  const counts = opts.counts ?? wv.kv.counts ?? new Float64Array(V).fill(1);
  if (counts.length !== V) throw new RangeError(`${fn}: counts.length = ${counts.length} but there are ${V} words`);
  let total = 0;
  for (let i = 0; i < V; i++) total += counts[i]!;
  const ntokens = opts.ntokens ?? total;
  const outRows = opts.output === undefined ? V : opts.output.length / D;
  if (!Number.isInteger(outRows))
    throw new RangeError(`${fn}: output.length = ${opts.output!.length} is not a multiple of dim ${D}`);
  const enc = new TextEncoder();
  const wbytes = wv.words.map((w) => enc.encode(w));
  let dictBytes = 0;
  for (const b of wbytes) {
    if (b.includes(0)) throw new Error(`${fn}: a word contains a NUL character, which the format cannot store`);
    dictBytes += b.length + 1 + 8 + 1;
  }
  const inRows = V + wv.bucket;
  const len = 8 + 12 * 4 + 8 + 4 * 3 + 16 + dictBytes + 1 + 16 + inRows * D * 4 + 1 + 16 + outRows * D * 4;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  let p = 0;
  const i32 = (v: number): void => {
    dv.setInt32(p, v, true);
    p += 4;
  };
  const i64 = (v: number): void => {
    dv.setBigInt64(p, BigInt(Math.round(v)), true);
    p += 8;
  };
  const floats = (a: Float32Array): void => {
    new Float32Array(out.buffer, p, a.length).set(a);
    p += a.length * 4;
  };
  i32(MAGIC);
  i32(VERSION);
  for (const v of [A.dim, A.ws, A.epoch, A.minCount, A.neg, A.wordNgrams]) i32(v);
  i32(LOSSES.indexOf(A.loss) + 1);
  i32(MODELS.indexOf(A.model) + 1);
  for (const v of [A.bucket, A.minn, A.maxn, A.lrUpdateRate]) i32(v);
  dv.setFloat64(p, A.t, true);
  p += 8;
  i32(V);
  i32(V);
  i32(0);
  i64(ntokens);
  i64(-1);
  for (let i = 0; i < V; i++) {
    out.set(wbytes[i]!, p);
    p += wbytes[i]!.length + 1;
    i64(counts[i]!);
    out[p++] = 0;
  }
  out[p++] = 0; // quant_input
  i64(inRows);
  i64(D);
  // p is a multiple of 4 only by chance: copy through a byte view
  const putFloats = (a: Float32Array): void => {
    if (p % 4 === 0) floats(a);
    else {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
      p += a.byteLength;
    }
  };
  putFloats(wv.vectorsVocab);
  putFloats(wv.vectorsNgrams);
  out[p++] = 0; // qout
  i64(outRows);
  i64(D);
  putFloats(opts.output ?? new Float32Array(V * D));
  if (p !== len) throw new Error(`${fn}: internal size mismatch (${p} vs ${len})`);
  return out;
}

/** Reads a `.bin` from a path (Node). */
export function loadFastTextBin(path: string, opts: ReadFastTextOptions = {}): FastTextModel {
  const fs = nodeBuiltin('node:fs', 'loadFastTextBin(path)', 'in the browser fetch the bytes and call readFastTextBin');
  return readFastTextBin(fs.readFileSync(path), opts);
}

/** Writes a `.bin` to a path (Node). */
export function saveFastTextBin(wv: FastTextKeyedVectors, path: string, opts: WriteFastTextOptions = {}): void {
  const fs = nodeBuiltin('node:fs', 'saveFastTextBin(path)', 'in the browser call writeFastTextBin and keep the bytes');
  fs.writeFileSync(path, writeFastTextBin(wv, opts));
}

/**
 * The `.vec` text file fastText writes next to a `.bin`: the word2vec text format of the
 * in-vocabulary vectors (word + n-grams averaged). Read it back with `readWord2VecFormat`
 * (it has no n-grams, so it gives a plain {@link KeyedVectors}).
 */
export function writeFastTextVec(wv: FastTextKeyedVectors): Uint8Array {
  return writeWord2VecFormat(wv.kv, { binary: false });
}
