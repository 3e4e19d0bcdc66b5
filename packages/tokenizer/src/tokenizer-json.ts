/**
 * Hugging Face `tokenizer.json` (load and save), GPT-2 `vocab.json` + `merges.txt` and
 * BERT `vocab.txt`. Field names and shapes follow huggingface/tokenizers' serde output;
 * merges are read both as pairs (`[["Ġ","t"]]`, tokenizers ≥ 0.20) and as legacy strings
 * (`["Ġ t"]`) and written as pairs.
 */
import { Tokenizer, SPECIAL_TOKEN_ROLES, type SpecialTokenRole } from './tokenizer.js';
import {
  BertNormalizer,
  Lowercase,
  NormalizerSequence,
  Prepend,
  Replace,
  Strip,
  StripAccents,
  UnicodeNormalizer,
  type Normalizer,
} from './normalizers.js';
import {
  BertPreTokenizer,
  ByteLevel,
  Digits,
  Metaspace,
  PreTokenizerSequence,
  Punctuation,
  Split,
  Whitespace,
  WhitespaceSplit,
  behaviorFromJson,
  type PreTokenizer,
  type PrependScheme,
} from './pre-tokenizers.js';
import { BPE } from './bpe.js';
import { WordPiece } from './wordpiece.js';
import { WordLevel } from './word-level.js';
import { Unigram } from './unigram.js';
import { SentencePieceChar, SentencePieceWord } from './spm-word-char.js';
import { Jamo } from './jamo.js';
import { Precompiled, SentencePieceNormalizer, fromBase64 } from './sentencepiece.js';
import { MAX_TOKEN_ID, VocabError, type Model } from './model.js';
import {
  BertProcessing,
  ByteLevelProcessing,
  PostProcessorSequence,
  RobertaProcessing,
  TemplateProcessing,
  type PostProcessor,
  type TemplatePiece,
  type SpecialTokenSpec,
} from './post-processors.js';
import {
  BPEDecoder,
  ByteFallbackDecoder,
  ByteLevelDecoder,
  DecoderSequence,
  FuseDecoder,
  MetaspaceDecoder,
  ReplaceDecoder,
  StripDecoder,
  WordPieceDecoder,
  type Decoder,
} from './decoders.js';

type Json = Record<string, unknown>;
const FN = 'fromTokenizerJson';

function fail(path: string, msg: string): never {
  throw new Error(`${FN}: ${path} ${msg}`);
}
function obj(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, got ${describe(v)}`);
  return v as Json;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${describe(v)}`);
  return v;
}
function optStr(v: unknown, path: string): string | null {
  return v === undefined || v === null ? null : str(v, path);
}
function bool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') fail(path, `must be a boolean, got ${describe(v)}`);
  return v;
}
function int(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `must be an integer, got ${describe(v)}`);
  return v;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be an array, got ${describe(v)}`);
  return v;
}
function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 40 ? s.slice(0, 40) + '…' : s}`;
}

function vocabMap(v: unknown, path: string): Map<string, number> {
  const o = obj(v, path);
  const m = new Map<string, number>();
  for (const [k, id] of Object.entries(o)) m.set(k, int(id, `${path}[${JSON.stringify(k)}]`));
  return m;
}

function pattern(v: unknown, path: string): string | { regex: string } {
  const o = obj(v, path);
  if (typeof o.String === 'string') return o.String;
  if (typeof o.Regex === 'string') return { regex: o.Regex };
  fail(path, `must be {"String": …} or {"Regex": …}, got ${describe(v)}`);
}

function parseNormalizer(v: unknown, path: string): Normalizer | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, path);
  const type = str(o.type, `${path}.type`);
  switch (type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return new UnicodeNormalizer(type);
    case 'Lowercase':
      return new Lowercase();
    case 'StripAccents':
      return new StripAccents();
    case 'Replace':
      return new Replace({
        pattern: pattern(o.pattern, `${path}.pattern`),
        content: str(o.content, `${path}.content`),
      });
    case 'Prepend':
      return new Prepend(str(o.prepend, `${path}.prepend`));
    case 'Strip':
      return new Strip({
        left: bool(o.strip_left, `${path}.strip_left`, true),
        right: bool(o.strip_right, `${path}.strip_right`, true),
      });
    case 'BertNormalizer':
      return new BertNormalizer({
        cleanText: bool(o.clean_text, `${path}.clean_text`, true),
        handleChineseChars: bool(o.handle_chinese_chars, `${path}.handle_chinese_chars`, true),
        stripAccents:
          o.strip_accents === null || o.strip_accents === undefined
            ? null
            : bool(o.strip_accents, `${path}.strip_accents`, false),
        lowercase: bool(o.lowercase, `${path}.lowercase`, true),
      });
    case 'Sequence':
      return new NormalizerSequence(
        arr(o.normalizers, `${path}.normalizers`).map((n, i) => parseNormalizer(n, `${path}.normalizers[${i}]`)!),
      );
    case 'Precompiled':
      return new Precompiled(
        fromBase64(str(o.precompiled_charsmap, `${path}.precompiled_charsmap`), `${FN}: ${path}.precompiled_charsmap`),
      );
    case 'Jamo':
      return new Jamo({
        emptyFinal: str(o.empty_final ?? '-', `${path}.empty_final`),
        compatibility: bool(o.compatibility, `${path}.compatibility`, false),
      });
    case 'SentencePiece': {
      const cm = optStr(o.precompiled_charsmap, `${path}.precompiled_charsmap`);
      return new SentencePieceNormalizer({
        charsmap: cm === null ? null : fromBase64(cm, `${FN}: ${path}.precompiled_charsmap`),
        addDummyPrefix: bool(o.add_dummy_prefix, `${path}.add_dummy_prefix`, true),
        removeExtraWhitespaces: bool(o.remove_extra_whitespaces, `${path}.remove_extra_whitespaces`, true),
        escapeWhitespaces: bool(o.escape_whitespaces, `${path}.escape_whitespaces`, true),
        treatWhitespaceAsSuffix: bool(o.treat_whitespace_as_suffix, `${path}.treat_whitespace_as_suffix`, false),
        userDefinedSymbols:
          o.user_defined_symbols === undefined || o.user_defined_symbols === null
            ? []
            : arr(o.user_defined_symbols, `${path}.user_defined_symbols`).map((x, i) =>
                str(x, `${path}.user_defined_symbols[${i}]`),
              ),
      });
    }
    default:
      return fail(
        `${path}.type`,
        `= ${JSON.stringify(type)} is not a supported normalizer (NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Replace, Prepend, Strip, BertNormalizer, Precompiled, SentencePiece and Jamo (wordloom), Sequence)`,
      );
  }
}

function parsePreTokenizer(v: unknown, path: string): PreTokenizer | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, path);
  const type = str(o.type, `${path}.type`);
  switch (type) {
    case 'Whitespace':
      return new Whitespace();
    case 'WhitespaceSplit':
      return new WhitespaceSplit();
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'Punctuation':
      return new Punctuation({
        behavior: o.behavior === undefined ? 'isolated' : behaviorFromJson(o.behavior, `${FN}: ${path}.behavior`),
      });
    case 'Digits':
      return new Digits({ individualDigits: bool(o.individual_digits, `${path}.individual_digits`, false) });
    case 'Split':
      return new Split({
        pattern: pattern(o.pattern, `${path}.pattern`),
        behavior: behaviorFromJson(o.behavior, `${FN}: ${path}.behavior`),
        invert: bool(o.invert, `${path}.invert`, false),
      });
    case 'ByteLevel':
      return new ByteLevel({
        addPrefixSpace: bool(o.add_prefix_space, `${path}.add_prefix_space`, false),
        useRegex: bool(o.use_regex, `${path}.use_regex`, true),
        trimOffsets: bool(o.trim_offsets, `${path}.trim_offsets`, true),
      });
    case 'Metaspace': {
      let scheme: PrependScheme = 'always';
      if (o.prepend_scheme !== undefined) {
        const s = str(o.prepend_scheme, `${path}.prepend_scheme`);
        if (s !== 'always' && s !== 'first' && s !== 'never')
          fail(`${path}.prepend_scheme`, `= ${JSON.stringify(s)} must be always, first or never`);
        scheme = s;
      } else if (o.add_prefix_space === false) scheme = 'never';
      return new Metaspace({
        replacement: str(o.replacement ?? '\u2581', `${path}.replacement`),
        prependScheme: scheme,
        split: bool(o.split, `${path}.split`, true),
      });
    }
    case 'Sequence':
      return new PreTokenizerSequence(
        arr(o.pretokenizers, `${path}.pretokenizers`).map((p, i) =>
          parsePreTokenizer(p, `${path}.pretokenizers[${i}]`)!,
        ),
      );
    default:
      return fail(
        `${path}.type`,
        `= ${JSON.stringify(type)} is not a supported pre-tokenizer (Whitespace, WhitespaceSplit, BertPreTokenizer, Punctuation, Digits, Split, ByteLevel, Metaspace, Sequence)`,
      );
  }
}

function tokenIdPair(v: unknown, path: string): [string, number] {
  const a = arr(v, path);
  if (a.length !== 2) fail(path, `must be [token, id], got ${describe(v)}`);
  return [str(a[0], `${path}[0]`), int(a[1], `${path}[1]`)];
}

function templatePieces(v: unknown, path: string): TemplatePiece[] {
  return arr(v, path).map((p, i) => {
    const o = obj(p, `${path}[${i}]`);
    if (o.Sequence !== undefined) {
      const s = obj(o.Sequence, `${path}[${i}].Sequence`);
      const id = str(s.id, `${path}[${i}].Sequence.id`);
      if (id !== 'A' && id !== 'B') fail(`${path}[${i}].Sequence.id`, `must be "A" or "B", got ${describe(id)}`);
      return { kind: 'sequence', id, typeId: int(s.type_id, `${path}[${i}].Sequence.type_id`) };
    }
    const s = obj(o.SpecialToken, `${path}[${i}].SpecialToken`);
    return {
      kind: 'special',
      id: str(s.id, `${path}[${i}].SpecialToken.id`),
      typeId: int(s.type_id, `${path}[${i}].SpecialToken.type_id`),
    };
  });
}

function parsePostProcessor(v: unknown, path: string): PostProcessor | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, path);
  const type = str(o.type, `${path}.type`);
  switch (type) {
    case 'TemplateProcessing': {
      const sp = obj(o.special_tokens, `${path}.special_tokens`);
      const specs: SpecialTokenSpec[] = Object.entries(sp).map(([k, s]) => {
        const so = obj(s, `${path}.special_tokens[${JSON.stringify(k)}]`);
        return {
          id: str(so.id, `${path}.special_tokens[${JSON.stringify(k)}].id`),
          ids: arr(so.ids, `${path}.special_tokens[${JSON.stringify(k)}].ids`).map((x, i) =>
            int(x, `${path}.special_tokens[${JSON.stringify(k)}].ids[${i}]`),
          ),
          tokens: arr(so.tokens, `${path}.special_tokens[${JSON.stringify(k)}].tokens`).map((x, i) =>
            str(x, `${path}.special_tokens[${JSON.stringify(k)}].tokens[${i}]`),
          ),
        };
      });
      return new TemplateProcessing({
        single: templatePieces(o.single, `${path}.single`),
        pair: templatePieces(o.pair, `${path}.pair`),
        specialTokens: specs,
      });
    }
    case 'BertProcessing':
      return new BertProcessing(tokenIdPair(o.sep, `${path}.sep`), tokenIdPair(o.cls, `${path}.cls`));
    case 'RobertaProcessing':
      return new RobertaProcessing({
        sep: tokenIdPair(o.sep, `${path}.sep`),
        cls: tokenIdPair(o.cls, `${path}.cls`),
        trimOffsets: bool(o.trim_offsets, `${path}.trim_offsets`, true),
        addPrefixSpace: bool(o.add_prefix_space, `${path}.add_prefix_space`, true),
      });
    case 'ByteLevel':
      return new ByteLevelProcessing({
        trimOffsets: bool(o.trim_offsets, `${path}.trim_offsets`, true),
        addPrefixSpace: bool(o.add_prefix_space, `${path}.add_prefix_space`, true),
        useRegex: bool(o.use_regex, `${path}.use_regex`, true),
      });
    case 'Sequence':
      return new PostProcessorSequence(
        arr(o.processors, `${path}.processors`).map((p, i) => parsePostProcessor(p, `${path}.processors[${i}]`)!),
      );
    default:
      return fail(
        `${path}.type`,
        `= ${JSON.stringify(type)} is not a supported post-processor (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)`,
      );
  }
}

function parseDecoder(v: unknown, path: string): Decoder | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, path);
  const type = str(o.type, `${path}.type`);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelDecoder();
    case 'WordPiece':
      return new WordPieceDecoder({
        prefix: str(o.prefix ?? '##', `${path}.prefix`),
        cleanup: bool(o.cleanup, `${path}.cleanup`, true),
      });
    case 'Metaspace': {
      let scheme: PrependScheme = 'always';
      if (typeof o.prepend_scheme === 'string') scheme = o.prepend_scheme as PrependScheme;
      else if (o.add_prefix_space === false) scheme = 'never';
      return new MetaspaceDecoder({
        replacement: str(o.replacement ?? '\u2581', `${path}.replacement`),
        prependScheme: scheme,
        split: bool(o.split, `${path}.split`, true),
      });
    }
    case 'BPEDecoder':
      return new BPEDecoder(str(o.suffix ?? '</w>', `${path}.suffix`));
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Fuse':
      return new FuseDecoder();
    case 'Replace': {
      const p = pattern(o.pattern, `${path}.pattern`);
      if (typeof p !== 'string') fail(`${path}.pattern`, 'Regex patterns are not supported in the Replace decoder');
      return new ReplaceDecoder(p, str(o.content, `${path}.content`));
    }
    case 'Strip':
      return new StripDecoder(
        str(o.content, `${path}.content`),
        int(o.start, `${path}.start`),
        int(o.stop, `${path}.stop`),
      );
    case 'Sequence':
      return new DecoderSequence(
        arr(o.decoders, `${path}.decoders`).map((d, i) => parseDecoder(d, `${path}.decoders[${i}]`)!),
      );
    default:
      return fail(
        `${path}.type`,
        `= ${JSON.stringify(type)} is not a supported decoder (ByteLevel, WordPiece, Metaspace, BPEDecoder, ByteFallback, Fuse, Replace, Strip, Sequence)`,
      );
  }
}

export function parseMerges(v: unknown, path: string): Array<[string, string]> {
  return arr(v, path).map((m, i) => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2) fail(`${path}[${i}]`, `= ${JSON.stringify(m)} must be two tokens separated by one space`);
      return [parts[0]!, parts[1]!];
    }
    const p = arr(m, `${path}[${i}]`);
    if (p.length !== 2) fail(`${path}[${i}]`, `must be a pair [left, right], got ${p.length} entries`);
    return [str(p[0], `${path}[${i}][0]`), str(p[1], `${path}[${i}][1]`)];
  });
}

function parseModel(v: unknown, path: string): Model {
  const o = obj(v, path);
  // HF omits "type" in some old files; guess from the fields like HF's untagged serde does.
  const type =
    o.type === undefined
      ? o.merges !== undefined
        ? 'BPE'
        : o.continuing_subword_prefix !== undefined
          ? 'WordPiece'
          : 'WordLevel'
      : str(o.type, `${path}.type`);
  switch (type) {
    case 'BPE': {
      if (
        o.dropout !== undefined &&
        o.dropout !== null &&
        (typeof o.dropout !== 'number' || !(o.dropout >= 0 && o.dropout <= 1))
      )
        fail(`${path}.dropout`, `must be null or a number in [0, 1], got ${describe(o.dropout)}`);
      return new BPE({
        vocab: vocabMap(o.vocab, `${path}.vocab`),
        merges: parseMerges(o.merges, `${path}.merges`),
        unkToken: optStr(o.unk_token, `${path}.unk_token`),
        continuingSubwordPrefix: optStr(o.continuing_subword_prefix, `${path}.continuing_subword_prefix`),
        endOfWordSuffix: optStr(o.end_of_word_suffix, `${path}.end_of_word_suffix`),
        fuseUnk: bool(o.fuse_unk, `${path}.fuse_unk`, false),
        byteFallback: bool(o.byte_fallback, `${path}.byte_fallback`, false),
        ignoreMerges: bool(o.ignore_merges, `${path}.ignore_merges`, false),
        dropout: typeof o.dropout === 'number' ? o.dropout : null,
      });
    }
    case 'WordPiece':
      return new WordPiece({
        vocab: vocabMap(o.vocab, `${path}.vocab`),
        unkToken: str(o.unk_token ?? '[UNK]', `${path}.unk_token`),
        continuingSubwordPrefix: str(o.continuing_subword_prefix ?? '##', `${path}.continuing_subword_prefix`),
        maxInputCharsPerWord:
          o.max_input_chars_per_word === undefined
            ? 100
            : int(o.max_input_chars_per_word, `${path}.max_input_chars_per_word`),
      });
    case 'WordLevel':
      return new WordLevel({
        vocab: vocabMap(o.vocab, `${path}.vocab`),
        unkToken: str(o.unk_token ?? '<unk>', `${path}.unk_token`),
      });
    case 'Unigram':
    case 'SentencePieceWord':
    case 'SentencePieceChar': {
      const vocab = arr(o.vocab, `${path}.vocab`).map((e, i): [string, number] => {
        const p = arr(e, `${path}.vocab[${i}]`);
        if (p.length !== 2) fail(`${path}.vocab[${i}]`, `must be [piece, score], got ${describe(e)}`);
        const score = p[1];
        if (typeof score !== 'number' || !Number.isFinite(score))
          fail(`${path}.vocab[${i}][1]`, `must be a finite number, got ${describe(score)}`);
        return [str(p[0], `${path}.vocab[${i}][0]`), score];
      });
      const types =
        o.piece_types === undefined || o.piece_types === null
          ? null
          : arr(o.piece_types, `${path}.piece_types`).map((t, i) => int(t, `${path}.piece_types[${i}]`));
      const byteFallback = bool(o.byte_fallback, `${path}.byte_fallback`, false);
      if (type !== 'Unigram') {
        if (types === null) fail(`${path}.piece_types`, `is required for ${type}`);
        const opts = { vocab, pieceTypes: types, byteFallback };
        return type === 'SentencePieceWord' ? new SentencePieceWord(opts) : new SentencePieceChar(opts);
      }
      return new Unigram({
        vocab,
        unkId: o.unk_id === undefined || o.unk_id === null ? null : int(o.unk_id, `${path}.unk_id`),
        byteFallback,
        pieceTypes: types,
      });
    }
    default:
      return fail(
        `${path}.type`,
        `= ${JSON.stringify(type)} is not a supported model (BPE, WordPiece, WordLevel, Unigram, SentencePieceWord, SentencePieceChar)`,
      );
  }
}

/** Conventional spellings of special tokens, used to fill the role registry on load. */
const ROLE_GUESS: Array<[SpecialTokenRole, string[]]> = [
  ['pad', ['[PAD]', '<pad>', '<|pad|>']],
  ['unk', ['[UNK]', '<unk>', '<|unk|>']],
  ['cls', ['[CLS]', '<cls>']],
  ['sep', ['[SEP]', '<sep>']],
  ['mask', ['[MASK]', '<mask>']],
  ['bos', ['<s>', '[BOS]', '<bos>', '<|startoftext|>', '<|endoftext|>']],
  ['eos', ['</s>', '[EOS]', '<eos>', '<|endoftext|>']],
];

/** Where the text of a JSON document ends, as a key path ("model.vocab"), for errors on truncated files. */
export function jsonPathAt(text: string, pos: number): string {
  const stack: Array<{ kind: 'obj' | 'arr'; key: string; index: number }> = [];
  let lastString = '';
  let i = 0;
  const end = Math.min(pos, text.length);
  while (i < end) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i + 1, Math.min(j, text.length));
      i = j + 1;
      continue;
    }
    if (c === '{') stack.push({ kind: 'obj', key: '', index: 0 });
    else if (c === '[') stack.push({ kind: 'arr', key: '', index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ':' && stack.length > 0) stack[stack.length - 1]!.key = lastString;
    else if (c === ',' && stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.kind === 'arr') top.index++;
      else top.key = '';
    }
    i++;
  }
  return (
    stack
      .map((f) => (f.kind === 'arr' ? `[${f.index}]` : f.key === '' ? '' : `.${f.key}`))
      .join('')
      .replace(/^\./, '') || '(top level)'
  );
}

/** Build a Tokenizer from `tokenizer.json` text or its parsed object. */
export function fromTokenizerJson(json: string | Json): Tokenizer {
  let root: unknown = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch (e) {
      const m = /position (\d+)/.exec(String(e));
      const pos = m ? Number(m[1]) : json.length;
      throw new Error(
        `${FN}: invalid JSON inside ${jsonPathAt(json, pos)} (at character ${pos} of ${json.length}): ${(e as Error).message}`,
      );
    }
  }
  const o = obj(root, 'tokenizer.json');
  if (o.model === undefined) fail('model', 'is missing');
  const model = parseModel(o.model, 'model');
  const tok = new Tokenizer({
    model,
    normalizer: parseNormalizer(o.normalizer, 'normalizer'),
    preTokenizer: parsePreTokenizer(o.pre_tokenizer, 'pre_tokenizer'),
    postProcessor: parsePostProcessor(o.post_processor, 'post_processor'),
    decoder: parseDecoder(o.decoder, 'decoder'),
  });
  const added = o.added_tokens === undefined || o.added_tokens === null ? [] : arr(o.added_tokens, 'added_tokens');
  const addedIds = new Map<number, string>();
  const idLimit = 2 * (model.vocabSize + added.length) + 1024;
  added.forEach((t, i) => {
    const p = `added_tokens[${i}]`;
    const a = obj(t, p);
    const special = bool(a.special, `${p}.special`, false);
    const id = int(a.id, `${p}.id`);
    const content = str(a.content, `${p}.content`);
    if (id < 0 || id > MAX_TOKEN_ID || id > idLimit)
      throw new VocabError(
        `${FN}: ${p}.id = ${id} is out of range (ids are integers in [0, ${Math.min(MAX_TOKEN_ID, idLimit)}] for this file)`,
      );
    const other = addedIds.get(id);
    if (other !== undefined)
      throw new VocabError(
        `${FN}: ${p}: duplicate id ${id}: ${JSON.stringify(other)} and ${JSON.stringify(content)} both have it`,
      );
    addedIds.set(id, content);
    const atId = model.idToToken(id);
    if (atId !== undefined && atId !== content)
      throw new VocabError(
        `${FN}: ${p} = ${JSON.stringify(content)} with id ${id} collides with the model's token ${JSON.stringify(atId)} of the same id`,
      );
    const ownId = model.tokenToId(content);
    if (ownId !== undefined && ownId !== id)
      throw new VocabError(
        `${FN}: ${p} = ${JSON.stringify(content)} has id ${id} but the model's vocabulary gives it id ${ownId}`,
      );
    tok.addedVocabulary.add({
      id,
      content,
      special,
      singleWord: bool(a.single_word, `${p}.single_word`, false),
      lstrip: bool(a.lstrip, `${p}.lstrip`, false),
      rstrip: bool(a.rstrip, `${p}.rstrip`, false),
      normalized: bool(a.normalized, `${p}.normalized`, !special),
    });
  });
  for (const [role, names] of ROLE_GUESS) {
    for (const n of names) {
      const t = tok.addedVocabulary.get(n);
      if (t !== undefined && t.special && !tok.specialTokens.has(role)) tok.specialTokens.set(role, n);
    }
  }
  if (!tok.specialTokens.has('unk') && model.unkToken !== null && SPECIAL_TOKEN_ROLES.includes('unk'))
    tok.specialTokens.set('unk', model.unkToken);
  return tok;
}

export interface ToJsonOptions {
  /** @default false — HF writes compact JSON by default */
  pretty?: boolean;
}

/** `tokenizer.json` text of a Tokenizer. */
export function toTokenizerJson(tok: Tokenizer, options: ToJsonOptions = {}): string {
  return JSON.stringify(tok.toJSON(), null, options.pretty ? 2 : undefined);
}

/** Read a `tokenizer.json` file (Node only). */
export async function readTokenizerFile(path: string): Promise<Tokenizer> {
  const { readFile } = await import('node:fs/promises');
  return fromTokenizerJson(await readFile(path, 'utf8'));
}

/** Write a `tokenizer.json` file (Node only). */
export async function writeTokenizerFile(tok: Tokenizer, path: string, options: ToJsonOptions = {}): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, toTokenizerJson(tok, options));
}

export interface Gpt2FilesOptions {
  /** Text of `vocab.json` / `encoder.json` (token -> id), or its parsed object. */
  vocab: string | Record<string, number>;
  /** Text of `merges.txt` / `vocab.bpe` (`#version` line, then "left right" per line). */
  merges: string;
  /** @default false — GPT-2's */
  addPrefixSpace?: boolean;
}

/** GPT-2 / RoBERTa style byte-level BPE from `vocab.json` + `merges.txt`. */
export function fromGpt2Files(options: Gpt2FilesOptions): Tokenizer {
  const FNG = 'fromGpt2Files';
  let vocabObj: unknown = options.vocab;
  if (typeof options.vocab === 'string') {
    try {
      vocabObj = JSON.parse(options.vocab);
    } catch (e) {
      throw new Error(`${FNG}: vocab is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof vocabObj !== 'object' || vocabObj === null)
    throw new Error(`${FNG}: vocab must be a JSON object of token -> id`);
  const vocab = new Map<string, number>();
  for (const [k, v] of Object.entries(vocabObj)) {
    if (!Number.isInteger(v))
      throw new Error(`${FNG}: vocab[${JSON.stringify(k)}] = ${JSON.stringify(v)} is not an integer id`);
    vocab.set(k, v as number);
  }
  const merges: Array<[string, string]> = [];
  options.merges.split('\n').forEach((line, i) => {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.length === 0 || (i === 0 && l.startsWith('#version'))) return;
    const parts = l.split(' ');
    if (parts.length !== 2)
      throw new Error(`${FNG}: merges line ${i + 1} = ${JSON.stringify(l)} must be two tokens separated by one space`);
    merges.push([parts[0]!, parts[1]!]);
  });
  const addPrefixSpace = options.addPrefixSpace ?? false;
  const tok = new Tokenizer({
    model: new BPE({ vocab, merges }),
    preTokenizer: new ByteLevel({ addPrefixSpace }),
    postProcessor: new ByteLevelProcessing({ trimOffsets: false, addPrefixSpace }),
    decoder: new ByteLevelDecoder(),
  });
  if (vocab.has('<|endoftext|>')) {
    tok.addTokens(['<|endoftext|>'], { special: true });
    tok.specialTokens.set('bos', '<|endoftext|>');
    tok.specialTokens.set('eos', '<|endoftext|>');
  }
  return tok;
}

export interface BertVocabOptions {
  /** @default true — bert-base-uncased; false for cased vocabularies */
  lowercase?: boolean;
  /** @default null — follow `lowercase`, as BERT does */
  stripAccents?: boolean | null;
}

/** BERT WordPiece tokenizer from `vocab.txt` (one token a line, line number = id). */
export function fromBertVocab(vocabTxt: string, options: BertVocabOptions = {}): Tokenizer {
  const vocab = new Map<string, number>();
  const lines = vocabTxt.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => vocab.set(l.endsWith('\r') ? l.slice(0, -1) : l, i));
  for (const t of ['[UNK]', '[CLS]', '[SEP]']) {
    if (!vocab.has(t)) throw new Error(`fromBertVocab: vocab.txt has no ${t} line (${lines.length} lines read)`);
  }
  const tok = new Tokenizer({
    model: new WordPiece({ vocab }),
    normalizer: new BertNormalizer({
      lowercase: options.lowercase ?? true,
      stripAccents: options.stripAccents ?? null,
    }),
    preTokenizer: new BertPreTokenizer(),
    postProcessor: new BertProcessing(['[SEP]', vocab.get('[SEP]')!], ['[CLS]', vocab.get('[CLS]')!]),
    decoder: new WordPieceDecoder(),
  });
  const roles: Array<[SpecialTokenRole, string]> = [
    ['pad', '[PAD]'],
    ['unk', '[UNK]'],
    ['cls', '[CLS]'],
    ['sep', '[SEP]'],
    ['mask', '[MASK]'],
  ];
  for (const [role, t] of roles) if (vocab.has(t)) tok.setSpecialToken(role, t);
  return tok;
}
