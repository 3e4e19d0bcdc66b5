// Helpers to read committed fixtures (tests never need ../shared).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const readFixture = (name: string): string => readFileSync(join(fixturesDir, name), 'utf8');
export const readFixtureGz = (name: string): string =>
  gunzipSync(readFileSync(join(fixturesDir, name))).toString('utf8');
export const readJson = <T>(name: string): T => JSON.parse(readFixture(name)) as T;
