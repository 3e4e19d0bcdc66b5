/**
 * `Module`: a tree of child modules and parameters (`tf.Variable`) with stable dotted
 * names, after PyTorch's `torch.nn.Module` (named_parameters, state_dict, train/eval).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkRngState, Rng, RngStateError, type RngState } from './rng.js';

export interface AddParameterOptions {
  /** Whether optimizers and `tf.variableGrads()` see it. @default true */
  trainable?: boolean;
}

export interface LoadRngStatesOptions {
  /**
   * Require the names to match exactly: a generator the states lack, or a state no generator
   * owns, is an error that names them. Off: matching names are restored, the rest ignored.
   * @default true (a half-restored run silently stops being reproducible)
   */
  strict?: boolean;
}

export interface LoadStateDictOptions {
  /**
   * Require the names to match exactly (no missing, no unexpected). Shape mismatches are
   * always an error, as in PyTorch.
   * @default true (a silently half-loaded model is the worse failure)
   */
  strict?: boolean;
}

/** The mismatch report of {@link Module.loadStateDict}. */
export class StateDictError extends Error {
  constructor(
    message: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly shapeMismatches: Array<{ name: string; expected: number[]; got: number[] }>,
  ) {
    super(message);
    this.name = 'StateDictError';
  }
}

const NAME_RE = /^[^.]+$/;

export abstract class Module {
  /** Training mode (Dropout active). Set with {@link train} / {@link eval}. */
  training = true;
  private readonly params = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  private readonly rngs = new Map<string, Rng>();

  private checkName(fn: string, name: string): void {
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new Error(`${this.constructor.name}.${fn}: name '${String(name)}' must be non-empty and contain no '.'`);
    }
    if (this.params.has(name) || this.children.has(name) || this.rngs.has(name)) {
      throw new Error(`${this.constructor.name}.${fn}: name '${name}' is already registered`);
    }
  }

  /**
   * Registers a parameter. Takes ownership of `value`: it is disposed once the Variable is
   * made (the Variable keeps the data). The value is cast to float32 if needed.
   */
  protected addParameter(name: string, value: tf.Tensor, opts: AddParameterOptions = {}): tf.Variable {
    this.checkName('addParameter', name);
    const trainable = opts.trainable ?? true;
    const v = tf.tidy(() => tf.variable(value.dtype === 'float32' ? value : tf.cast(value, 'float32'), trainable));
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Registers a child module; its parameters are named `${name}.${childName}`. */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.checkName('addModule', name);
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.addModule: '${name}' is not a Module`);
    this.children.set(name, m);
    return m;
  }

  /**
   * Registers a random generator this module draws from (dropout masks, sampling coin flips),
   * so that {@link rngStates} / {@link loadRngStates} save and restore it with the rest of the
   * tree: a resumed run then draws exactly what the uninterrupted one would have. Names share
   * one namespace with parameters and children. Returns `rng`.
   */
  protected registerRng(name: string, rng: Rng): Rng {
    this.checkName('registerRng', name);
    if (!(rng instanceof Rng)) throw new Error(`${this.constructor.name}.registerRng: '${name}' is not an Rng`);
    this.rngs.set(name, rng);
    return rng;
  }

  /**
   * Every registered generator with a dotted name (`encoder.rnn.dropout`): own ones first,
   * then each child's, in registration order — as {@link namedParameters}. The generators
   * themselves, not copies.
   */
  namedRngs(): Map<string, Rng> {
    const out = new Map<string, Rng>();
    const visit = (m: Module, prefix: string): void => {
      for (const [n, r] of m.rngs) out.set(prefix + n, r);
      for (const [n, c] of m.children) visit(c, `${prefix}${n}.`);
    };
    visit(this, '');
    return out;
  }

  /** A snapshot of every generator's state ({@link Rng.getState}), keyed as {@link namedRngs}; JSON-safe. */
  rngStates(): Map<string, RngState> {
    const out = new Map<string, RngState>();
    for (const [n, r] of this.namedRngs()) out.set(n, r.getState());
    return out;
  }

  /**
   * Restores generator states saved by {@link rngStates} (a Map, or a plain object such as
   * `Object.fromEntries(states)` after a JSON round trip). Everything is checked before anything
   * is written, so a failed load changes nothing.
   * @throws RngStateError naming the missing and unexpected names (strict), or the malformed state
   */
  loadRngStates(states: Map<string, RngState> | Record<string, RngState>, opts: LoadRngStatesOptions = {}): void {
    const fn = `${this.constructor.name}.loadRngStates`;
    const strict = opts.strict ?? true;
    if (states === null || typeof states !== 'object')
      throw new RngStateError(`${fn}: states must be a Map or an object of RngState, got ${String(states)}`);
    const entries: Map<string, RngState> =
      states instanceof Map ? states : new Map(Object.entries(states as Record<string, RngState>));
    const own = this.namedRngs();
    const missing = [...own.keys()].filter((n) => !entries.has(n));
    const unexpected = [...entries.keys()].filter((n) => !own.has(n));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected: ${unexpected.join(', ')}`);
      throw new RngStateError(`${fn}: ${parts.join(' | ')}`, missing, unexpected);
    }
    const todo: Array<[Rng, RngState]> = [];
    for (const [name, r] of own) {
      const st = entries.get(name);
      if (st === undefined) continue;
      checkRngState(`${fn}: '${name}'`, st);
      todo.push([r, st]);
    }
    for (const [r, st] of todo) r.setState(st);
  }

  /** Direct children, in registration order. */
  namedChildren(): Map<string, Module> {
    return new Map(this.children);
  }

  /** All parameters with dotted names: own ones first, then each child's, in registration order. */
  namedParameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    const visit = (m: Module, prefix: string): void => {
      for (const [n, v] of m.params) out.set(prefix + n, v);
      for (const [n, c] of m.children) visit(c, `${prefix}${n}.`);
    };
    visit(this, '');
    return out;
  }

  parameters(): tf.Variable[] {
    return [...this.namedParameters().values()];
  }

  /** The parameters that are trainable (frozen ones left out). */
  trainableParameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [n, v] of this.namedParameters()) if (v.trainable) out.set(n, v);
    return out;
  }

  /** Total number of scalars in all parameters (frozen included). */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const v of this.namedParameters().values()) if (!opts.trainableOnly || v.trainable) n += v.size;
    return n;
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children.values()) c.train(mode);
    return this;
  }

  /** `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Name → the parameter Variables themselves (not copies); PyTorch's state_dict names. */
  stateDict(): Map<string, tf.Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Everything is checked before anything is written, so
   * a failed load leaves the module unchanged. Values are cast to float32. The caller keeps
   * ownership of `dict`'s tensors.
   * @throws StateDictError listing missing, unexpected and shape-mismatched names
   */
  loadStateDict(dict: Map<string, tf.Tensor> | Record<string, tf.Tensor>, opts: LoadStateDictOptions = {}): void {
    const strict = opts.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.namedParameters();
    const missing: string[] = [];
    const unexpected: string[] = [];
    const shapeMismatches: StateDictError['shapeMismatches'] = [];
    for (const [name, v] of own) {
      const t = entries.get(name);
      if (t === undefined) missing.push(name);
      else if (!tf.util.arraysEqual(t.shape, v.shape)) shapeMismatches.push({ name, expected: v.shape, got: t.shape });
    }
    for (const name of entries.keys()) if (!own.has(name)) unexpected.push(name);
    if (shapeMismatches.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected: ${unexpected.join(', ')}`);
      if (shapeMismatches.length) {
        parts.push(
          `shape mismatch: ${shapeMismatches.map((s) => `${s.name} expected [${s.expected.join(', ')}] got [${s.got.join(', ')}]`).join('; ')}`,
        );
      }
      throw new StateDictError(
        `${this.constructor.name}.loadStateDict: ${parts.join(' | ')}`,
        missing,
        unexpected,
        shapeMismatches,
      );
    }
    for (const [name, v] of own) {
      const t = entries.get(name);
      // Assigning a Variable its own data would free it (tfjs drops the old ref first).
      if (t === undefined || t.dataId === v.dataId) continue;
      tf.tidy(() => v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype)));
    }
  }

  /** Disposes every parameter of this module and its descendants. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.rngs.clear();
    for (const c of this.children.values()) c.dispose();
    this.children.clear();
  }
}

/**
 * A list of child modules named `0`, `1`, … (torch.nn.ModuleList), so parameters read
 * `layers.0.weight`. Register it with `addModule('layers', new ModuleList(blocks))`.
 */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Appends a module under the next index; returns it. */
  push(m: M): M {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  /** The i-th module (negative counts from the end). @throws if out of range */
  at(i: number): M {
    const m = this.items.at(i);
    if (m === undefined) throw new Error(`ModuleList.at: index ${i} is out of range for length ${this.items.length}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
