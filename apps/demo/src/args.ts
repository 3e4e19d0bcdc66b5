/**
 * A tiny command dispatcher over `node:util` `parseArgs`: commands are declared with their
 * options (type, default, description); `--help` is added to every command; unknown commands
 * and options become a one-line {@link CliError} that says how to fix it.
 */
import { parseArgs } from 'node:util';

/** An error meant for the user: printed on one line, exit code ≠ 0. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help; for strings also the value used when the option is absent. */
  default?: string | boolean;
  description: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** Placeholder in help, e.g. `N`, `DIR`. */
  value?: string;
}

export type Options = Record<string, OptionSpec>;

export interface PositionalSpec {
  name: string;
  description: string;
  /** How many: one (default) or any number ≥ 1. */
  variadic?: boolean;
  optional?: boolean;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The command line that gave these (command words first). */
  argv?: string[];
}

export interface Command {
  /** Full name, e.g. `seq2seq date`. */
  name: string;
  summary: string;
  /** Longer text shown by `--help` (data set, what is printed, what is written). */
  details?: string;
  options: Options;
  positionals?: PositionalSpec[];
  run(args: ParsedArgs): Promise<void>;
}

export const PROGRAM = 'wordloom';

/** Options every command takes. */
export const commonOptions: Options = {
  'data-dir': {
    type: 'string',
    value: 'DIR',
    description: 'folder of the shared data sets (default: ../shared/data next to the repository, when it exists)',
  },
  out: {
    type: 'string',
    value: 'DIR',
    description: 'output folder for metrics, weights, tokenizer and plots (default: apps/demo/runs/<command>)',
  },
  seed: { type: 'string', value: 'N', description: 'random seed (same seed, same run)', default: '42' },
};

function optionUsage(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
  const extra: string[] = [];
  if (spec.choices) extra.push(`one of ${spec.choices.join('|')}`);
  if (spec.default !== undefined && spec.type === 'string') extra.push(`default ${spec.default}`);
  return `  ${flag.padEnd(30)} ${spec.description}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

export function commandHelp(cmd: Command): string {
  const pos = (cmd.positionals ?? []).map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.optional ? `[${n}]` : n;
  });
  const lines = [`Usage: ${PROGRAM} ${cmd.name} [options]${pos.length ? ' ' + pos.join(' ') : ''}`, '', cmd.summary];
  if (cmd.details) lines.push('', cmd.details);
  if (cmd.positionals?.length) {
    lines.push('', 'Arguments:');
    for (const p of cmd.positionals) lines.push(`  ${p.name.padEnd(30)} ${p.description}`);
  }
  lines.push('', 'Options:');
  for (const [name, spec] of Object.entries(cmd.options)) lines.push(optionUsage(name, spec));
  lines.push(optionUsage('help', { type: 'boolean', short: 'h', description: 'show this help' }));
  return lines.join('\n');
}

/** A negative number (`-1`, `-0.5`, `-1e-3`): a value, never an option. */
const NEGATIVE = /^-(?:\d|\.\d)/;

/** Parses the arguments after the command name; throws a one-line CliError on bad input. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(cmd.options))
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}) };
  // `--epochs -1`: parseArgs reads a value that starts with '-' as an option ("argument is
  // ambiguous"); a negative number after a string option is its value, so the range check below
  // can name the option and its bounds.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (name !== undefined && cmd.options[name]?.type === 'string' && next !== undefined && NEGATIVE.test(next)) {
      args.push(`--${name}=${next}`);
      i++;
    } else args.push(argv[i]);
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      const name = unknown[1].replace(/^-+/, '');
      const near = closest(name, Object.keys(cmd.options));
      throw new CliError(
        `${PROGRAM} ${cmd.name}: unknown option ${unknown[1]}${near ? ` (did you mean --${near}?)` : ''}; see '${PROGRAM} ${cmd.name} --help'`,
      );
    }
    const ambiguous = /Option '(?:-\w, )?(--[^' ]+)[^']*' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      const flag = ambiguous[1];
      const value = argv[argv.indexOf(flag) + 1] ?? '';
      throw new CliError(
        `${PROGRAM} ${cmd.name}: ${flag} needs a value, and '${value}' looks like an option; to pass a value that starts with '-', write ${flag}=${value}`,
      );
    }
    const missing = /Option '(?:-\w, )?(--[^' ]+)[^']*' argument missing/.exec(msg);
    if (missing)
      throw new CliError(
        `${PROGRAM} ${cmd.name}: ${missing[1]} needs a value (e.g. ${missing[1]} ${cmd.options[missing[1].slice(2)]?.value ?? 'VALUE'}); see '${PROGRAM} ${cmd.name} --help'`,
      );
    throw new CliError(`${PROGRAM} ${cmd.name}: ${msg.replace(/\.$/, '')}; see '${PROGRAM} ${cmd.name} --help'`);
  }
  if (parsed.values.help) return 'help';
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(cmd.options)) {
    const v = parsed.values[name] as string | boolean | undefined;
    values[name] = v ?? spec.default;
    if (spec.choices && v !== undefined && !spec.choices.includes(v as string)) {
      throw new CliError(`${PROGRAM} ${cmd.name}: --${name} ${String(v)} is not one of ${spec.choices.join('|')}`);
    }
  }
  const specs = cmd.positionals ?? [];
  const required = specs.filter((p) => !p.optional).length;
  const variadic = specs.some((p) => p.variadic);
  if (parsed.positionals.length < required) {
    const missing = specs[parsed.positionals.length];
    throw new CliError(
      `${PROGRAM} ${cmd.name}: missing argument ${missing.name} (${missing.description}); see '${PROGRAM} ${cmd.name} --help'`,
    );
  }
  if (!variadic && parsed.positionals.length > specs.length) {
    throw new CliError(
      `${PROGRAM} ${cmd.name}: unexpected argument '${parsed.positionals[specs.length]}'; see '${PROGRAM} ${cmd.name} --help'`,
    );
  }
  return { values, positionals: parsed.positionals, argv: [...cmd.name.split(' '), ...argv] };
}

/** The candidate nearest to `word` by edit distance, if it is close enough to be a typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** Reads an integer option, with a one-line error naming the option. */
export function intOption(args: ParsedArgs, cmd: string, name: string, min = 0): number {
  const raw = args.values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < min) {
    throw new CliError(`${PROGRAM} ${cmd}: --${name} ${String(raw)} must be an integer ≥ ${min}`);
  }
  return n;
}

/** Reads a number option, with a one-line error naming the option. */
export function numberOption(args: ParsedArgs, cmd: string, name: string, min = -Infinity): number {
  const raw = args.values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(n) || n < min) {
    throw new CliError(`${PROGRAM} ${cmd}: --${name} ${String(raw)} must be a number ≥ ${min}`);
  }
  return n;
}
