/**
 * Regex patterns from `tokenizer.json` files (`Split` pre-tokenizers, `Replace` normalizers)
 * translated to JavaScript. Hugging Face `tokenizers` compiles them with Oniguruma (Ruby
 * syntax, UTF-8), whose semantics differ from a plain JS `RegExp`:
 *
 * - `\w \d \s \b` are Unicode: `\w` = Alphabetic, marks, decimal digits, connector
 *   punctuation and ² ³ ¹ ¼ ½ ¾ (measured against `tokenizers` 0.23.2 over every code point),
 *   `\d` = `\p{Nd}`, `\s` = `\p{White_Space}`; `\h` is a hex digit.
 * - `^` and `$` are line anchors (Ruby), `.` does not match `\n` only; `(?m)` makes `.`
 *   match `\n` (Ruby's meaning of m); `\A \z \Z` are the string anchors.
 * - Inline flag groups `(?i:…)`, `(?i)`, `(?-i)`: Node 20 has no regexp modifiers, so
 *   case-insensitive literals are expanded to the set of chars that fold to the same
 *   (simple case folding: `'s` becomes `'[sSſ]`, `k` becomes `[kKK]`).
 * - Atomic groups `(?>…)` and possessive quantifiers `*+ ++ ?+` become `(?=(…))\N`.
 * - `\p{Han}`-style script names, `\p{^L}`, `\pL`, `\x{…}`, `{,n}`.
 *
 * Not supported (a named `UnsupportedPatternError`): `(?x)`, class intersections `&&`,
 * POSIX brackets, `\G \K \R \X`, conditionals, subexpression calls, multi-char case folds
 * (Oniguruma's `(?i:ss)` also matches `ß`).
 *
 * Catastrophic backtracking: a pattern that repeats without bound a sub-pattern that itself
 * repeats without bound (`(a+)+`, `(?:\s*x*)*`) is refused when it is compiled, with an
 * `UnsafePatternError` (atomic groups and possessive quantifiers are exempt: they do not
 * backtrack). Alternations of overlapping branches under a star (`(a|a)*`) are not detected.
 */

/** A pattern uses syntax that has no faithful JavaScript translation here. */
export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

/** A pattern could backtrack exponentially (nested unbounded quantifiers); refused at load. */
export class UnsafePatternError extends Error {
  override readonly name = 'UnsafePatternError';
}

/**
 * Oniguruma's Unicode `\w` outside a class, as a class body. Inside a class (`[\W\d]`)
 * Oniguruma's `\w` lacks ² ³ ¹ ¼ ½ ¾ (both measured against HF `tokenizers`).
 */
const WORD_BODY = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\xB2\\xB3\\xB9\\xBC-\\xBE';
const CLASS_WORD_BODY = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}';
const WORD = `[${WORD_BODY}]`;

/** A set of chars: `body` is a class body for `[…]`; `negated` means the complement. */
interface CharSet {
  body: string;
  negated: boolean;
}

const CLASS_ESCAPES: Record<string, CharSet> = {
  w: { body: WORD_BODY, negated: false },
  W: { body: WORD_BODY, negated: true },
  d: { body: '\\p{Nd}', negated: false },
  D: { body: '\\P{Nd}', negated: false },
  s: { body: '\\p{White_Space}', negated: false },
  S: { body: '\\P{White_Space}', negated: false },
  h: { body: '0-9a-fA-F', negated: false },
  H: { body: '0-9a-fA-F', negated: true },
};

/** Oniguruma property aliases that are not JS property names. */
const PROPERTY_ALIASES: Record<string, CharSet> = {
  any: { body: '\\u{0}-\\u{10FFFF}', negated: false },
  assigned: { body: '\\P{Cn}', negated: false },
  ascii: { body: '\\0-\\x7F', negated: false },
  word: { body: WORD_BODY, negated: false },
  alpha: { body: '\\p{Alphabetic}', negated: false },
  alnum: { body: '\\p{Alphabetic}\\p{Nd}', negated: false },
  digit: { body: '\\p{Nd}', negated: false },
  space: { body: '\\p{White_Space}', negated: false },
  upper: { body: '\\p{Uppercase}', negated: false },
  lower: { body: '\\p{Lowercase}', negated: false },
  punct: { body: '\\p{P}', negated: false },
  xdigit: { body: '0-9a-fA-F', negated: false },
};

const propertyCache = new Map<string, string | null>();

/** JS class body for `\p{name}` (Oniguruma ignores case, spaces, `_` and `-` in names). */
function propertyBody(name: string, where: string): CharSet {
  const loose = name.toLowerCase().replace(/[\s_-]/g, '');
  const alias = PROPERTY_ALIASES[loose];
  if (alias !== undefined) return alias;
  let js = propertyCache.get(name);
  if (js === undefined) {
    js = null;
    const titled = name
      .split(/[\s_-]+/)
      .map((w) => (w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
      .join('_');
    for (const cand of [name, titled, `Script=${name}`, `Script=${titled}`]) {
      try {
        new RegExp(`\\p{${cand}}`, 'u');
        js = `\\p{${cand}}`;
        break;
      } catch {
        /* try the next spelling */
      }
    }
    propertyCache.set(name, js);
  }
  if (js === null) throw new UnsupportedPatternError(`${where}: unknown Unicode property \\p{${name}}`);
  return { body: js, negated: false };
}

// ---- case folding ------------------------------------------------------------------------

let foldIndex: Map<string, number[]> | null = null;

/** Every code point that matches `cp` case-insensitively (JS simple case folding, as Oniguruma for single chars). */
function caseVariants(cp: number): number[] {
  const ch = String.fromCodePoint(cp);
  if (cp < 0x80) {
    // ASCII (the tokenizer.json patterns' case): only k and s have a non-ASCII variant
    const lo = ch.toLowerCase().charCodeAt(0);
    const up = ch.toUpperCase().charCodeAt(0);
    if (lo === up) return [cp];
    return lo === 0x6b ? [up, lo, 0x212a] : lo === 0x73 ? [up, lo, 0x17f] : [up, lo];
  }
  if (foldIndex === null) {
    foldIndex = new Map();
    const add = (k: string, c: number): void => {
      const list = foldIndex!.get(k);
      if (list === undefined) foldIndex!.set(k, [c]);
      else if (list[list.length - 1] !== c) list.push(c);
    };
    // all cased letters are below U+1E944
    for (let c = 0; c < 0x1e944; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const s = String.fromCodePoint(c);
      const lo = s.toLowerCase();
      const up = s.toUpperCase();
      if (lo === s && up === s) continue;
      add(lo, c);
      add(up.toLowerCase(), c);
    }
  }
  const cands = new Set<number>([cp]);
  for (const k of [ch.toLowerCase(), ch.toUpperCase().toLowerCase()])
    for (const c of foldIndex.get(k) ?? []) cands.add(c);
  const re = new RegExp(`^${escapeLiteral(cp, false)}$`, 'iu');
  return [...cands].filter((c) => re.test(String.fromCodePoint(c))).sort((a, b) => a - b);
}

// ---- emitting ------------------------------------------------------------------------------

const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);
const CLASS_SYNTAX = new Set([...'\\]^-[']);

function escapeLiteral(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if ((inClass ? CLASS_SYNTAX : SYNTAX).has(ch)) return `\\${ch}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x2028 && cp <= 0x2029)) return `\\u{${cp.toString(16)}}`;
  return ch;
}

function setToAtom(s: CharSet): string {
  return s.negated ? `[^${s.body}]` : `[${s.body}]`;
}

/** Parser state. */
interface Flags {
  i: boolean;
  /** Ruby's m: `.` matches `\n` */
  m: boolean;
}

/** A translated sub-pattern: its JS source and what the safety check needs. */
interface Node {
  src: string;
  /** Contains an unbounded quantifier that can backtrack (not inside an atomic group). */
  unbounded: boolean;
  /** Can be repeated with a quantifier as is (an atom). */
  atom: boolean;
  /** Set by a flag-only group `(?i)`: the flags for the rest of the enclosing group. */
  switchTo?: Flags;
}

class Translator {
  private i = 0;
  /** Capture groups opened so far, original numbering -> emitted numbering. */
  private readonly groupMap: number[] = [0];
  private emitted = 0;
  constructor(
    private readonly p: string,
    private readonly where: string,
  ) {}

  fail(msg: string): never {
    throw new UnsupportedPatternError(`${this.where}: ${msg} at position ${this.i} of ${JSON.stringify(this.p)}`);
  }

  run(): string {
    const n = this.alternation({ i: false, m: false });
    if (this.i < this.p.length) this.fail(`unmatched ')'`);
    return n.src;
  }

  private peek(k = 0): string {
    return this.p[this.i + k] ?? '';
  }

  private readCodePoint(): number {
    const cp = this.p.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** alternatives until ')' or end; `flags` may be changed by `(?i)` inside (scoped to this group). */
  private alternation(outer: Flags): Node {
    const flags = { ...outer };
    const alts: Node[] = [];
    for (;;) {
      alts.push(this.sequence(flags));
      if (this.peek() === '|') {
        this.i++;
        continue;
      }
      break;
    }
    return {
      src: alts.map((a) => a.src).join('|'),
      unbounded: alts.some((a) => a.unbounded),
      atom: alts.length === 1 && alts[0]!.atom,
    };
  }

  private sequence(flags: Flags): Node {
    const parts: Node[] = [];
    while (this.i < this.p.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom(flags);
      if (atom === null) continue; // a comment
      if (atom.switchTo !== undefined) {
        // Oniguruma: `a(?i)b|c` is `a(?i:b|c)` — the switch covers the rest of the enclosing
        // group, later alternatives included
        const rest = this.alternation(atom.switchTo);
        parts.push({ src: `(?:${rest.src})`, unbounded: rest.unbounded, atom: true });
        break;
      }
      parts.push(this.quantified(atom));
    }
    return {
      src: parts.map((x) => x.src).join(''),
      unbounded: parts.some((x) => x.unbounded),
      atom: parts.length === 1 && parts[0]!.atom,
    };
  }

  private quantified(atom: Node): Node {
    let node = atom;
    for (;;) {
      const q = this.quantifier();
      if (q === null) return node;
      const base = node.atom ? node.src : `(?:${node.src})`;
      if (node.unbounded && q.max === Infinity && q.mode !== 'possessive')
        throw new UnsafePatternError(
          `${this.where}: the pattern ${JSON.stringify(this.p)} repeats without bound a sub-pattern that repeats without bound (${JSON.stringify(atom.src)}${q.text}): it can take exponential time (catastrophic backtracking); rewrite it without nesting, e.g. (a+)+ as a+, or make the inner part atomic (?>…)`,
        );
      const quant = `${q.text}${q.mode === 'lazy' ? '?' : ''}`;
      if (q.mode === 'possessive') {
        const g = ++this.emitted;
        node = { src: `(?:(?=(${base}${quant}))\\${g})`, unbounded: false, atom: true };
      } else {
        node = { src: `${base}${quant}`, unbounded: node.unbounded || q.max === Infinity, atom: false };
      }
    }
  }

  private quantifier(): { text: string; max: number; mode: 'greedy' | 'lazy' | 'possessive' } | null {
    const c = this.peek();
    let text: string;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      text = c;
      max = c === '?' ? 1 : Infinity;
      const m = this.peek();
      if (m === '?') {
        this.i++;
        return { text, max, mode: 'lazy' };
      }
      if (m === '+') {
        this.i++;
        return { text, max, mode: 'possessive' };
      }
      return { text, max, mode: 'greedy' };
    }
    if (c === '{') {
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(this.p.slice(this.i));
      if (m === null || (m[1] === '' && (m[3] ?? '') === '')) return null; // a literal '{'
      this.i += m[0].length;
      const lo = m[1] === '' ? 0 : Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
      if (hi < lo) this.fail(`quantifier {${lo},${hi}} has max < min`);
      text = hi === lo ? `{${lo}}` : hi === Infinity ? `{${lo},}` : `{${lo},${hi}}`;
      max = hi;
      // Ruby syntax: {n,m}+ is not possessive (the + is a second quantifier); {n,m}? is lazy
      if (this.peek() === '?') {
        this.i++;
        return { text, max, mode: 'lazy' };
      }
      return { text, max, mode: 'greedy' };
    }
    return null;
  }

  private atom(flags: Flags): Node | null {
    const c = this.peek();
    if (c === '(') return this.group(flags);
    if (c === '[') {
      this.i++;
      return { src: this.charClass(flags), unbounded: false, atom: true };
    }
    if (c === '.') {
      this.i++;
      return { src: flags.m ? '[^]' : '[^\\n]', unbounded: false, atom: true };
    }
    if (c === '^') {
      this.i++;
      return { src: '(?<![^\\n])', unbounded: false, atom: true };
    }
    if (c === '$') {
      this.i++;
      return { src: '(?![^\\n])', unbounded: false, atom: true };
    }
    if (c === '\\') return this.escape(flags);
    const cp = this.readCodePoint();
    return { src: this.literal(cp, flags), unbounded: false, atom: true };
  }

  private literal(cp: number, flags: Flags): string {
    if (flags.i) {
      const vs = caseVariants(cp);
      if (vs.length > 1) return `[${vs.map((v) => escapeLiteral(v, true)).join('')}]`;
    }
    return escapeLiteral(cp, false);
  }

  private group(flags: Flags): Node | null {
    this.i++; // (
    let open = '(?:';
    let atomic = false;
    let inner = flags;
    let capture = false;
    if (this.peek() === '?') {
      const rest = this.p.slice(this.i + 1);
      if (rest.startsWith('#')) {
        const end = this.p.indexOf(')', this.i);
        if (end < 0) this.fail('unterminated comment (?#');
        this.i = end + 1;
        return null;
      }
      if (rest.startsWith(':')) this.i += 2;
      else if (rest.startsWith('=') || rest.startsWith('!')) {
        open = `(?${rest[0]}`;
        this.i += 2;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        open = `(?${rest.slice(0, 2)}`;
        this.i += 3;
      } else if (rest.startsWith('>')) {
        atomic = true;
        this.i += 2;
      } else if (rest.startsWith('<') || rest.startsWith('P<') || rest.startsWith("'")) {
        const m = /^(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')/.exec(rest);
        if (m === null) this.fail('bad group name');
        this.i += 1 + m[0].length;
        open = `(?<${m[1] ?? m[2]}>`;
        capture = true;
      } else {
        const m = /^([imx]*)(?:-([imx]*))?([:)])/.exec(rest);
        if (m === null) this.fail(`unsupported group syntax (?${rest.slice(0, 3)}`);
        const on = m[1]!;
        const off = m[2] ?? '';
        if (on.includes('x') || off.includes('x')) this.fail('extended mode (?x) is not supported');
        const next: Flags = { ...flags };
        if (on.includes('i')) next.i = true;
        if (off.includes('i')) next.i = false;
        if (on.includes('m')) next.m = true;
        if (off.includes('m')) next.m = false;
        this.i += 1 + m[0].length;
        if (m[3] === ')') return { src: '', unbounded: false, atom: true, switchTo: next };
        inner = next;
      }
    } else {
      capture = true;
      open = '(';
    }
    if (capture) this.groupMap.push(++this.emitted);
    const atomicGroup = atomic ? ++this.emitted : 0;
    const body = this.alternation(inner);
    if (this.peek() !== ')') this.fail("missing ')'");
    this.i++;
    if (atomic) return { src: `(?:(?=(${body.src}))\\${atomicGroup})`, unbounded: false, atom: true };
    const lookaround =
      open.startsWith('(?=') || open.startsWith('(?!') || open.startsWith('(?<=') || open.startsWith('(?<!');
    return { src: `${open}${body.src})`, unbounded: lookaround ? false : body.unbounded, atom: true };
  }

  /** After `\` outside a class. */
  private escape(flags: Flags): Node {
    this.i++; // backslash
    const c = this.peek();
    if (c === '') this.fail('trailing backslash');
    const set = CLASS_ESCAPES[c];
    if (set !== undefined) {
      this.i++;
      return { src: setToAtom(set), unbounded: false, atom: true };
    }
    const simple = (src: string, atom = true): Node => {
      this.i++;
      return { src, unbounded: false, atom };
    };
    switch (c) {
      case 'b':
        return simple(`(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`);
      case 'B':
        return simple(`(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`);
      case 'A':
        return simple('(?<![^])');
      case 'z':
        return simple('(?![^])');
      case 'Z':
        return simple('(?=\\n?(?![^]))');
      case 'p':
      case 'P': {
        const s = this.property();
        return { src: setToAtom(s), unbounded: false, atom: true };
      }
      case 'k': {
        const m = /^k<([A-Za-z_][A-Za-z0-9_]*|\d+)>/.exec(this.p.slice(this.i));
        if (m === null) this.fail('bad \\k<name> back-reference');
        this.i += m[0].length;
        if (/^\d+$/.test(m[1]!)) return { src: this.backref(Number(m[1])), unbounded: false, atom: true };
        return { src: `\\k<${m[1]}>`, unbounded: false, atom: true };
      }
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      const m = /^\d+/.exec(this.p.slice(this.i))!;
      this.i += m[0].length;
      return { src: this.backref(Number(m[0])), unbounded: false, atom: true };
    }
    const cp = this.escapedCodePoint();
    return { src: this.literal(cp, flags), unbounded: false, atom: true };
  }

  private backref(n: number): string {
    const g = this.groupMap[n];
    if (g === undefined) this.fail(`back-reference \\${n} to a group that is not opened before it`);
    return `(?:\\${g})`;
  }

  /** `\p{…}` / `\P{…}` / `\pL` with `this.i` at the p. */
  private property(): CharSet {
    const upper = this.peek() === 'P';
    this.i++;
    let name: string;
    if (this.peek() === '{') {
      const end = this.p.indexOf('}', this.i);
      if (end < 0) this.fail('unterminated \\p{');
      name = this.p.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      name = this.peek();
      if (name === '') this.fail('\\p needs a property name');
      this.i++;
    }
    let neg = upper;
    if (name.startsWith('^')) {
      neg = !neg;
      name = name.slice(1);
    }
    const s = propertyBody(name, this.where);
    const negated = s.negated !== neg;
    // \P{X} stays one class item (no complement-of-union needed)
    if (negated && /^\\p\{[^}]+\}$/.test(s.body)) return { body: `\\P${s.body.slice(2)}`, negated: false };
    return { body: s.body, negated };
  }

  /** A single-char escape (after `\`), as a code point; `this.i` at the char after `\`. */
  private escapedCodePoint(): number {
    const c = this.peek();
    const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, v: 11, a: 7, e: 27 };
    if (simple[c] !== undefined) {
      this.i++;
      return simple[c]!;
    }
    if (c === 'x') {
      const rest = this.p.slice(this.i + 1);
      const m = /^\{([0-9a-fA-F]{1,8})\}/.exec(rest) ?? /^([0-9a-fA-F]{1,2})/.exec(rest);
      if (m === null) this.fail('bad \\x escape');
      this.i += 1 + m[0].length;
      const v = parseInt(m[1]!, 16);
      if (v > 0x10ffff) this.fail(`code point \\x{${m[1]}} is out of range`);
      return v;
    }
    if (c === 'u') {
      const m = /^[0-9a-fA-F]{4}/.exec(this.p.slice(this.i + 1));
      if (m === null) this.fail('bad \\u escape');
      this.i += 5;
      return parseInt(m[0], 16);
    }
    if (c === '0') {
      const m = /^0[0-7]{0,2}/.exec(this.p.slice(this.i))!;
      this.i += m[0].length;
      return parseInt(m[0], 8);
    }
    if (/[A-Za-z0-9]/.test(c)) this.fail(`unsupported escape \\${c}`);
    return this.readCodePoint(); // an escaped punctuation char is itself
  }

  /** After `[`: a class as a JS atom. Items are kept as sets so `[\W\d]` works in `u` mode. */
  private charClass(flags: Flags): string {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.i++;
    }
    let pos = ''; // positive class body
    const negSets: string[] = []; // complements of these bodies are members
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail("missing ']'");
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      if (c === '[') {
        if (this.p.startsWith('[:', this.i)) this.fail('POSIX bracket expressions [[:name:]] are not supported');
        this.fail('nested character classes are not supported');
      }
      if (c === '&' && this.peek(1) === '&') this.fail('class intersection && is not supported');
      let lo: number;
      if (c === '\\') {
        this.i++;
        const e = this.peek();
        const set =
          e === 'w' || e === 'W'
            ? { body: CLASS_WORD_BODY, negated: e === 'W' }
            : (CLASS_ESCAPES[e] ?? (e === 'p' || e === 'P' ? null : undefined));
        if (set === null) {
          const s = this.property();
          if (s.negated) negSets.push(s.body);
          else pos += s.body;
          continue;
        }
        if (set !== undefined) {
          this.i++;
          if (set.negated) negSets.push(set.body);
          else pos += set.body;
          continue;
        }
        if (e === 'b') {
          this.i++;
          lo = 8;
        } else lo = this.escapedCodePoint();
      } else lo = this.readCodePoint();
      let hi = lo;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.i++;
        if (this.peek() === '\\') {
          this.i++;
          if (CLASS_ESCAPES[this.peek()] !== undefined || this.peek() === 'p' || this.peek() === 'P')
            this.fail('a range cannot end in a class escape');
          hi = this.escapedCodePoint();
        } else hi = this.readCodePoint();
        if (hi < lo) this.fail(`class range ${lo.toString(16)}-${hi.toString(16)} is out of order`);
      }
      pos += this.classRange(lo, hi, flags);
    }
    if (negSets.length === 0) {
      if (pos === '') return negate ? '[^]' : '[]';
      return negate ? `[^${pos}]` : `[${pos}]`;
    }
    // members = pos ∪ complement(n1) ∪ complement(n2) …
    if (!negate) {
      const alts = negSets.map((b) => `[^${b}]`);
      if (pos !== '') alts.unshift(`[${pos}]`);
      return `(?:${alts.join('|')})`;
    }
    // complement = not pos, and in every n_k
    return `(?:${pos === '' ? '' : `(?![${pos}])`}${negSets
      .slice(0, -1)
      .map((b) => `(?=[${b}])`)
      .join('')}[${negSets[negSets.length - 1]}])`;
  }

  private classRange(lo: number, hi: number, flags: Flags): string {
    let s = escapeLiteral(lo, true) + (hi > lo ? `-${escapeLiteral(hi, true)}` : '');
    if (flags.i) {
      if (hi - lo > 5000) this.fail('case-insensitive class ranges over 5000 chars are not supported');
      const extra = new Set<number>();
      for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) if (v < lo || v > hi) extra.add(v);
      for (const v of [...extra].sort((a, b) => a - b)) s += escapeLiteral(v, true);
    }
    return s;
  }
}

const compiled = new Map<string, string>();

/**
 * JavaScript source (for the `u` flag) of a `tokenizer.json` regex, with Oniguruma's
 * semantics (see the module comment). Throws `UnsupportedPatternError` or
 * `UnsafePatternError`; `where` names the caller in the message.
 */
export function translateHfPattern(pattern: string, where: string): string {
  let src = compiled.get(pattern);
  if (src === undefined) {
    src = new Translator(pattern, where).run();
    try {
      new RegExp(src, 'u');
    } catch (e) {
      throw new UnsupportedPatternError(
        `${where}: ${JSON.stringify(pattern)} has no JavaScript translation (${(e as Error).message})`,
      );
    }
    if (compiled.size > 256) compiled.clear();
    compiled.set(pattern, src);
  }
  return src;
}

/** A global (`gu`) RegExp with Oniguruma semantics for a `tokenizer.json` pattern. */
export function compileHfPattern(pattern: string, where: string): RegExp {
  return new RegExp(translateHfPattern(pattern, where), 'gu');
}
