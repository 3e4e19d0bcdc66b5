import type { Command } from '../args.js';
import { classifyCommands } from './classify.js';
import { embedCommands } from './embed.js';
import { lmCommands } from './lm.js';
import { seq2seqCommands } from './seq2seq.js';
import { tokenizeCommands } from './tokenize.js';
import { tourCommand } from './tour.js';

/** Every subcommand of `wordloom`, in the order `--help` lists them. */
export const commands: Command[] = [
  tourCommand,
  ...seq2seqCommands,
  ...embedCommands,
  ...tokenizeCommands,
  ...classifyCommands,
  ...lmCommands,
];
