import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CliError } from './args.js';
import { readText } from './data.js';

describe('readText on a bad .gz', () => {
  it('is one CliError line (exit 3) naming the file, not zlib\'s "invalid block type"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-demo-gz-'));
    const gz = gzipSync(Buffer.from('영화 정말 재밌어요\n'.repeat(200)));
    const corrupt = Buffer.from(gz);
    for (let i = 12; i < 30; i++) corrupt[i] ^= 0x5a;
    writeFileSync(join(dir, 'corrupt.txt.gz'), corrupt);
    writeFileSync(join(dir, 'cut.txt.gz'), gz.subarray(0, gz.length >> 1));
    writeFileSync(join(dir, 'good.txt.gz'), gz);
    expect(readText(join(dir, 'good.txt.gz'))).toBe('영화 정말 재밌어요\n'.repeat(200));
    const error = (path: string): CliError => {
      try {
        readText(path);
      } catch (e) {
        return e as CliError;
      }
      throw new Error('no error');
    };
    const bad = error(join(dir, 'corrupt.txt.gz'));
    expect(bad).toBeInstanceOf(CliError);
    expect(bad.message).toMatch(
      new RegExp(`^wordloom: ${dir}/corrupt\\.txt\\.gz is not valid gzip \\(zlib: .+\\); get the file again$`, 'u'),
    );
    expect(error(join(dir, 'cut.txt.gz')).message).toContain(
      'cut.txt.gz is cut short (truncated gzip) (zlib: unexpected end of file)',
    );
  });
});
