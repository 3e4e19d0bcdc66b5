/**
 * `wordloom` — the demo CLI's dispatcher: one command, subcommands that run the packages on real data.
 * With no arguments it runs the main job (a ~5 minute tour on data committed in the repo).
 */
import { CliError, PROGRAM, closest, commandHelp, parseCommandArgs, type Command } from './args.js';
import { commands } from './commands/index.js';

function topHelp(): string {
  const lines = [
    `Usage: ${PROGRAM} [command] [options]`,
    '',
    'The wordloom demo: the packages trained from scratch on real data.',
    `With no command, runs the main job ('${PROGRAM} tour'): about 5 minutes on 2 cores, data committed in the repo.`,
    '',
    'Commands:',
  ];
  for (const c of commands) lines.push(`  ${c.name.padEnd(24)} ${c.summary}`);
  lines.push('', `Run '${PROGRAM} <command> --help' for a command's options.`);
  return lines.join('\n');
}

/** Finds the command named by the first one or two words of argv. */
function dispatch(argv: string[]): { cmd: Command; rest: string[] } | 'help' {
  if (argv.length === 0) return { cmd: commands.find((c) => c.name === 'tour')!, rest: [] };
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return 'help';
  if (argv[0].startsWith('-')) return { cmd: commands.find((c) => c.name === 'tour')!, rest: argv };
  const two = `${argv[0]} ${argv[1] ?? ''}`;
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  if (byOne) return { cmd: byOne, rest: argv.slice(1) };
  const group = commands.filter((c) => c.name.split(' ')[0] === argv[0]);
  if (group.length > 0) {
    const subs = group.map((c) => c.name.split(' ')[1]);
    if (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h') {
      throw new CliError(
        `${PROGRAM} ${argv[0]}: ${argv[1] === undefined ? 'needs a subcommand' : 'choose a subcommand'}: ${subs.join(', ')}; e.g. '${PROGRAM} ${argv[0]} ${subs[0]} --help'`,
        argv[1] === undefined ? 2 : 0,
      );
    }
    const near = closest(argv[1], subs);
    throw new CliError(
      `${PROGRAM} ${argv[0]}: unknown subcommand '${argv[1]}'${near ? ` (did you mean '${near}'?)` : ''}; choose one of ${subs.join(', ')}`,
    );
  }
  const names = [...new Set(commands.map((c) => c.name.split(' ')[0]))];
  const near = closest(argv[0], names);
  throw new CliError(
    `${PROGRAM}: unknown command '${argv[0]}'${near ? ` (did you mean '${near}'?)` : ''}; run '${PROGRAM} --help' for the list`,
  );
}

export async function main(argv: string[]): Promise<number> {
  try {
    const d = dispatch(argv);
    if (d === 'help') {
      process.stdout.write(topHelp() + '\n');
      return 0;
    }
    const args = parseCommandArgs(d.cmd, d.rest);
    if (args === 'help') {
      process.stdout.write(commandHelp(d.cmd) + '\n');
      return 0;
    }
    await d.cmd.run(args);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(e.message + '\n');
      return e.exitCode;
    }
    throw e;
  }
}
