/**
 * Post-processors add the model's special tokens around the encoded sequences (HF
 * `processors/*.rs`): templates (`[CLS] $A [SEP] $B:1 [SEP]:1`), BERT, RoBERTa, and the
 * byte-level offset fix-up (trim the leading `Ġ` from offsets).
 */
import { concatEnc, emptyEnc, type Enc } from './encoding.js';
import { isWhitespace } from './internal/unicode.js';

export interface PostProcessor {
  readonly type: string;
  /** How many tokens this processor adds to a single sequence or a pair. */
  addedTokens(isPair: boolean): number;
  process(a: Enc, b: Enc | null, addSpecialTokens: boolean): Enc;
  toJSON(): Record<string, unknown>;
}

export type TemplatePiece =
  { kind: 'sequence'; id: 'A' | 'B'; typeId: number } | { kind: 'special'; id: string; typeId: number };

export interface SpecialTokenSpec {
  id: string;
  ids: number[];
  tokens: string[];
}

export interface TemplateOptions {
  /** e.g. `"[CLS] $A [SEP]"` or parsed pieces. */
  single: string | TemplatePiece[];
  /** e.g. `"[CLS] $A [SEP] $B:1 [SEP]:1"`. @default single + " $B:1" */
  pair?: string | TemplatePiece[];
  /** Every special token the templates name, with its id(s): `[["[CLS]", 101], ["[SEP]", 102]]` or specs. */
  specialTokens: Array<[string, number] | SpecialTokenSpec>;
}

/** Parse `"[CLS] $A [SEP] $B:1 [SEP]:1"` (HF's template syntax). */
export function parseTemplate(t: string): TemplatePiece[] {
  return t
    .split(' ')
    .filter((p) => p.length > 0)
    .map((p): TemplatePiece => {
      const m = /^(.*?)(?::(\d+))?$/.exec(p)!;
      const body = m[1]!;
      const typeId = m[2] === undefined ? 0 : Number(m[2]);
      if (body === '$' || body === '$A' || body === '$a') return { kind: 'sequence', id: 'A', typeId };
      if (body === '$B' || body === '$b') return { kind: 'sequence', id: 'B', typeId };
      if (body.startsWith('$')) {
        const n = Number(body.slice(1));
        if (Number.isInteger(n) && body.length > 1) return { kind: 'sequence', id: 'A', typeId: n };
        throw new Error(
          `parseTemplate: unknown sequence ${JSON.stringify(body)} in ${JSON.stringify(t)} (use $A or $B)`,
        );
      }
      return { kind: 'special', id: body, typeId };
    });
}

export class TemplateProcessing implements PostProcessor {
  readonly type = 'TemplateProcessing';
  readonly single: TemplatePiece[];
  readonly pair: TemplatePiece[];
  readonly specialTokens: Map<string, SpecialTokenSpec>;
  constructor(options: TemplateOptions) {
    this.single = typeof options.single === 'string' ? parseTemplate(options.single) : options.single;
    this.pair =
      options.pair === undefined
        ? [...this.single, { kind: 'sequence', id: 'B', typeId: 1 }]
        : typeof options.pair === 'string'
          ? parseTemplate(options.pair)
          : options.pair;
    this.specialTokens = new Map();
    for (const s of options.specialTokens) {
      const spec = Array.isArray(s) ? { id: s[0], ids: [s[1]], tokens: [s[0]] } : s;
      this.specialTokens.set(spec.id, spec);
    }
    for (const p of [...this.single, ...this.pair]) {
      if (p.kind === 'special' && !this.specialTokens.has(p.id)) {
        throw new Error(
          `TemplateProcessing: template uses ${JSON.stringify(p.id)} but specialTokens has no entry for it`,
        );
      }
    }
  }
  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single)
      if (p.kind === 'special') n += this.specialTokens.get(p.id)!.ids.length;
    return n;
  }
  process(a: Enc, b: Enc | null, addSpecialTokens: boolean): Enc {
    const tpl = b === null ? this.single : this.pair;
    const build = (x: Enc, y: Enc | null): Enc => {
      const parts: Enc[] = [];
      for (const p of tpl) {
        if (p.kind === 'sequence') {
          const src = p.id === 'A' ? x : y;
          if (src === null) continue;
          parts.push({ ...src, typeIds: src.typeIds.map(() => p.typeId), overflowing: [] });
        } else if (addSpecialTokens) {
          const spec = this.specialTokens.get(p.id)!;
          const e = emptyEnc();
          spec.ids.forEach((id, i) => {
            e.ids.push(id);
            e.tokens.push(spec.tokens[i] ?? spec.id);
            e.offsets.push([0, 0]);
            e.special.push(1);
            e.attention.push(1);
            e.typeIds.push(p.typeId);
            e.seq.push(-1);
          });
          parts.push(e);
        }
      }
      return concatEnc(parts);
    };
    const out = build(a, b);
    out.overflowing = [
      ...a.overflowing.map((o) => build(o, b)),
      ...(b === null ? [] : b.overflowing.map((o) => build(a, o))),
    ];
    return out;
  }
  toJSON(): Record<string, unknown> {
    const piece = (p: TemplatePiece): Record<string, unknown> =>
      p.kind === 'sequence'
        ? { Sequence: { id: p.id, type_id: p.typeId } }
        : { SpecialToken: { id: p.id, type_id: p.typeId } };
    const special: Record<string, unknown> = {};
    for (const [k, v] of this.specialTokens)
      Object.defineProperty(special, k, {
        value: { id: v.id, ids: v.ids, tokens: v.tokens },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return { type: this.type, single: this.single.map(piece), pair: this.pair.map(piece), special_tokens: special };
  }
}

/** `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`. */
export class BertProcessing implements PostProcessor {
  readonly type = 'BertProcessing';
  private readonly tpl: TemplateProcessing;
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
  ) {
    this.tpl = new TemplateProcessing({
      single: `${cls[0]} $A ${sep[0]}`,
      pair: `${cls[0]} $A ${sep[0]} $B:1 ${sep[0]}:1`,
      specialTokens: [cls, sep],
    });
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }
  process(a: Enc, b: Enc | null, addSpecialTokens: boolean): Enc {
    return this.tpl.process(a, b, addSpecialTokens);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, sep: this.sep, cls: this.cls };
  }
}

export interface ByteLevelProcessingOptions {
  /** @default true — offsets do not cover the leading space of `Ġword` */
  trimOffsets?: boolean;
  /** @default false — keep the first token's one added prefix space in its offsets */
  addPrefixSpace?: boolean;
  /** @default true — stored for tokenizer.json round trips */
  useRegex?: boolean;
}

/** HF `process_offsets`: trim leading/trailing `Ġ` (and whitespace) from token offsets. */
export function trimByteLevelOffsets(e: Enc, addPrefixSpace: boolean): void {
  for (let i = 0; i < e.ids.length; i++) {
    const tok = e.tokens[i]!;
    const o = e.offsets[i]!;
    let lead = 0;
    while (lead < tok.length && (tok[lead] === '\u0120' || isWhitespace(tok[lead]!))) lead++;
    let trail = 0;
    while (
      trail < tok.length &&
      (tok[tok.length - 1 - trail] === '\u0120' || isWhitespace(tok[tok.length - 1 - trail]!))
    )
      trail++;
    if (lead === 0 && trail === 0) continue;
    if (lead > 0) {
      const isFirst = i === 0 || o[0] === 0;
      if (isFirst && addPrefixSpace && lead === 1) lead = 0;
      o[0] = Math.min(o[0] + lead, o[1]);
    }
    if (trail > 0 && o[1] >= trail) o[1] = Math.max(o[1] - trail, o[0]);
  }
  for (const ov of e.overflowing) trimByteLevelOffsets(ov, addPrefixSpace);
}

export class ByteLevelProcessing implements PostProcessor {
  readonly type = 'ByteLevel';
  readonly trimOffsets: boolean;
  readonly addPrefixSpace: boolean;
  readonly useRegex: boolean;
  constructor(options: ByteLevelProcessingOptions = {}) {
    this.trimOffsets = options.trimOffsets ?? true;
    this.addPrefixSpace = options.addPrefixSpace ?? false;
    this.useRegex = options.useRegex ?? true;
  }
  addedTokens(): number {
    return 0;
  }
  process(a: Enc, b: Enc | null): Enc {
    if (this.trimOffsets) {
      trimByteLevelOffsets(a, this.addPrefixSpace);
      if (b !== null) trimByteLevelOffsets(b, this.addPrefixSpace);
    }
    const out = concatEnc(b === null ? [a] : [a, b]);
    out.overflowing = [...a.overflowing, ...(b === null ? [] : b.overflowing)];
    return out;
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}

export interface RobertaProcessingOptions {
  sep: [string, number];
  cls: [string, number];
  /** @default true */
  trimOffsets?: boolean;
  /** @default true — RoBERTa's */
  addPrefixSpace?: boolean;
}

/** `<s> $A </s>` / `<s> $A </s> </s> $B </s>`, all type id 0, byte-level offset trimming. */
export class RobertaProcessing implements PostProcessor {
  readonly type = 'RobertaProcessing';
  readonly sep: [string, number];
  readonly cls: [string, number];
  readonly trimOffsets: boolean;
  readonly addPrefixSpace: boolean;
  private readonly tpl: TemplateProcessing;
  constructor(options: RobertaProcessingOptions) {
    this.sep = options.sep;
    this.cls = options.cls;
    this.trimOffsets = options.trimOffsets ?? true;
    this.addPrefixSpace = options.addPrefixSpace ?? true;
    const [c, s] = [this.cls[0], this.sep[0]];
    this.tpl = new TemplateProcessing({
      single: `${c} $A ${s}`,
      pair: `${c} $A ${s} ${s} $B ${s}`,
      specialTokens: [this.cls, this.sep],
    });
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }
  process(a: Enc, b: Enc | null, addSpecialTokens: boolean): Enc {
    if (this.trimOffsets) {
      trimByteLevelOffsets(a, this.addPrefixSpace);
      if (b !== null) trimByteLevelOffsets(b, this.addPrefixSpace);
    }
    return this.tpl.process(a, b, addSpecialTokens);
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      sep: this.sep,
      cls: this.cls,
      trim_offsets: this.trimOffsets,
      add_prefix_space: this.addPrefixSpace,
    };
  }
}

export class PostProcessorSequence implements PostProcessor {
  readonly type = 'Sequence';
  constructor(readonly processors: PostProcessor[]) {}
  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }
  process(a: Enc, b: Enc | null, addSpecialTokens: boolean): Enc {
    // HF applies each processor to the list of encodings; byte-level trimming then a template is the common case.
    let cur = a;
    let pair = b;
    for (let i = 0; i < this.processors.length; i++) {
      const p = this.processors[i]!;
      if (i < this.processors.length - 1 && p instanceof ByteLevelProcessing) {
        if (p.trimOffsets) {
          trimByteLevelOffsets(cur, p.addPrefixSpace);
          if (pair !== null) trimByteLevelOffsets(pair, p.addPrefixSpace);
        }
        continue;
      }
      cur = p.process(cur, pair, addSpecialTokens);
      pair = null;
    }
    return cur;
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, processors: this.processors.map((p) => p.toJSON()) };
  }
}

export const postProcessors = {
  template: (options: TemplateOptions): PostProcessor => new TemplateProcessing(options),
  bert: (options: { sep: [string, number]; cls: [string, number] }): PostProcessor =>
    new BertProcessing(options.sep, options.cls),
  roberta: (options: RobertaProcessingOptions): PostProcessor => new RobertaProcessing(options),
  byteLevel: (options?: ByteLevelProcessingOptions): PostProcessor => new ByteLevelProcessing(options),
  sequence: (list: PostProcessor[]): PostProcessor => new PostProcessorSequence(list),
};
