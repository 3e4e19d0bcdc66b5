import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkNode } from './check-node.mjs';

describe('check-node', () => {
  it('accepts Node 20.19 and newer', () => {
    expect(checkNode('20.19.0')).toBeNull();
    expect(checkNode('20.20.2')).toBeNull();
    expect(checkNode('22.1.0')).toBeNull();
  });

  it('names the needed version for an older Node', () => {
    expect(checkNode('20.18.3')).toContain('needs Node.js >= 20.19.0 (found 20.18.3)');
    expect(checkNode('18.20.0')).toContain('>= 20.19.0');
  });

  it('exits 0 when run on this Node', () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'check-node.mjs');
    expect(spawnSync(process.execPath, [script]).status).toBe(0);
  });
});
