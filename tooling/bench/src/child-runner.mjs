/** Runs one benchmark function in its own process so its peak RSS can be read alone. */
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [modulePath, argsJson] = process.argv.slice(2);
const mod = await import(pathToFileURL(path.resolve(modulePath)).href);
const t0 = performance.now();
const result = await mod.default(...JSON.parse(argsJson ?? '[]'));
const wallMs = performance.now() - t0;
// resourceUsage().maxRSS is in kilobytes.
console.log(JSON.stringify({ result, peakRssMB: process.resourceUsage().maxRSS / 1024, wallMs }));
