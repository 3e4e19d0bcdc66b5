import { describe, expect, it } from 'vitest';
import { Jamo, Tokenizer, charLevel, composeJamo, decomposeJamo, fromTokenizerJson, toTokenizerJson } from './index.js';

const ALL: string[] = [];
for (let c = 0xac00; c <= 0xd7a3; c++) ALL.push(String.fromCharCode(c));

describe('Korean jamo', () => {
  it('decomposes as Unicode (NFD) does, with the empty-final marker', () => {
    expect(decomposeJamo('한')).toBe('\u1112\u1161\u11ab');
    expect(decomposeJamo('한').normalize('NFC')).toBe('한');
    expect(decomposeJamo('자연어')).toBe('\u110c\u1161-\u110b\u1167\u11ab\u110b\u1165-');
    expect(decomposeJamo('자연어', { compatibility: true })).toBe('ㅈㅏ-ㅇㅕㄴㅇㅓ-');
    expect(decomposeJamo('가', { emptyFinal: '∅' })).toBe('\u1100\u1161∅');
    for (const ch of ALL) {
      const d = decomposeJamo(ch).replace('-', '');
      if (d.normalize('NFC') !== ch) throw new Error(`${ch}: ${d} is not its NFD`);
    }
  });
  it.each([false, true])('round-trips all 11,172 syllables (compatibility %s), alone and in one string', (compat) => {
    const o = { compatibility: compat };
    for (const ch of ALL) {
      const d = decomposeJamo(ch, o);
      expect([...d].length).toBe(3);
      if (composeJamo(d, o) !== ch) throw new Error(`${ch} -> ${d} -> ${composeJamo(d, o)}`);
    }
    const all = ALL.join('');
    expect(composeJamo(decomposeJamo(all, o), o)).toBe(all);
    // seeded random mixes of syllables, ASCII (incl. the marker itself), loose jamo, emoji, Hanja
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const extra = ['-', '--', ' ', 'a', 'ㅋ', 'ㅋㅋ', 'ㅠ', '😀', '漢', '\u1100', '\u1161'];
    for (let k = 0; k < 300; k++) {
      let t = '';
      for (let j = 0; j < 12; j++) t += rand(2) === 0 ? ALL[rand(ALL.length)]! : extra[rand(extra.length)]!;
      const back = composeJamo(decomposeJamo(t, o), o);
      // loose jamo that happen to form an initial+medial+(final|marker) triple are joined: skip those texts
      if (/[\u1100-\u1112][\u1161-\u1175]|[ㄱ-ㅎ][ㅏ-ㅣ]/.test(t)) continue;
      expect(back).toBe(t);
    }
  });
  it('leaves text without syllables untouched', () => {
    for (const t of ['', 'hello - world', 'ㅋㅋㅋ ㅠㅠ', '漢字 😀', '\u1100\u1161']) {
      expect(decomposeJamo(t)).toBe(t);
    }
    expect(composeJamo('hello - world')).toBe('hello - world');
    expect(composeJamo('ㅋㅋㅋ', { compatibility: true })).toBe('ㅋㅋㅋ');
  });
  it('rejects a marker that is a Hangul letter or longer than one character', () => {
    expect(() => decomposeJamo('가', { emptyFinal: 'ㄱ' })).toThrow(/emptyFinal must not be a Hangul letter/);
    expect(() => decomposeJamo('가', { emptyFinal: '--' })).toThrow(/single character/);
  });
  it('the Jamo normalizer keeps offsets on the syllables and saves as tokenizer.json', () => {
    const vocab = new Map<string, number>([['<unk>', 0]]);
    for (const ch of decomposeJamo('한국어 good')) if (!vocab.has(ch)) vocab.set(ch, vocab.size);
    const tok = new Tokenizer({ model: charLevel({ vocab, unkToken: '<unk>' }), normalizer: new Jamo() });
    const e = tok.encode('한국 go');
    expect(e.tokens).toEqual(['\u1112', '\u1161', '\u11ab', '\u1100', '\u116e', '\u11a8', ' ', 'g', 'o']);
    expect(e.offsets).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [1, 2],
      [1, 2],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    const json = toTokenizerJson(tok);
    expect(JSON.parse(json).normalizer).toEqual({ type: 'Jamo', empty_final: '-', compatibility: false });
    const back = fromTokenizerJson(json);
    expect(toTokenizerJson(back)).toBe(json);
  });
});
