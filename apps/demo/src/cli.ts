#!/usr/bin/env node
/**
 * `wordloom` — the demo CLI: one command, subcommands that run the packages on real data.
 * With no arguments it runs the main job (a ~5 minute tour on data committed in the repo).
 */
import { PROGRAM } from './args.js';
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${PROGRAM}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
