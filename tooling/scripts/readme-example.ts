/**
 * The one mechanism behind every package's `src/first-example.test.ts`: take the first example of the
 * package README's "Use" section from the README itself, type-check it as a user's strict
 * NodeNext TypeScript file would be, and run exactly that code.
 *
 * The example is written to a temporary `.ts` file inside the package directory, so bare
 * specifiers (`@wordloom/core`, the package's own name, `@tensorflow/tfjs-core`) resolve as they
 * do for the package; type-checking and running both use the `@wordloom/source` condition (the
 * sibling packages' TypeScript sources, no build needed). The only change made before running
 * is replacing whole string literals named in `files` (e.g. `'reviews.txt'`) by the paths of
 * committed fixtures; each of them must occur in the example.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface ReadmeExample {
  /** The package directory (holds README.md and package.json). */
  packageDir: string;
  /** The code of the first fenced block of the "Use" section, as written. */
  code: string;
  /** 1-based line in README.md where the code starts (after the opening fence). */
  line: number;
}

const FENCE_OPEN = /^```(ts|typescript)\s*$/u;

/**
 * Extracts the first fenced code block of the `## Use` section of a README's text. The block
 * must be TypeScript (```ts); it ends at the first line that is exactly ``` (so text inside the
 * block, such as a string containing a fence, cannot end it early or late).
 *
 * @throws when there is no `## Use` section, no block in it, the block is not ```ts, or the
 * block is never closed.
 */
export function extractUseExample(readme: string, where = 'README.md'): { code: string; line: number } {
  const lines = readme.split(/\r?\n/u);
  const use = lines.findIndex((l) => /^## Use\s*$/u.test(l));
  if (use < 0) throw new Error(`${where}: no "## Use" section`);
  for (let i = use + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^#{1,2} /u.test(l)) break;
    if (!l.startsWith('```')) continue;
    if (!FENCE_OPEN.test(l)) {
      throw new Error(`${where}:${i + 1}: the first example of "## Use" must be a \`\`\`ts block, found ${l}`);
    }
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${where}:${i + 1}: the \`\`\`ts block of "## Use" is never closed`);
    return { code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 2 };
  }
  throw new Error(`${where}: the "## Use" section has no fenced code block`);
}

/** Reads the package README of the test file at `testUrl` (`import.meta.url` of `<pkg>/src/first-example.test.ts`). */
export function readmeExample(testUrl: string): ReadmeExample {
  const packageDir = fileURLToPath(new URL('..', testUrl));
  const file = join(packageDir, 'README.md');
  return { packageDir, ...extractUseExample(readFileSync(file, 'utf8'), file) };
}

function writeTemp(example: ReadmeExample, code: string): { dir: string; file: string } {
  // Inside the package (not under node_modules, whose files the test runner would not compile).
  const dir = mkdtempSync(join(example.packageDir, '.readme-example-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code);
  return { dir, file };
}

/**
 * Type-checks the example with the package's tsconfig (strict, `module`/`moduleResolution`
 * NodeNext) plus the `@wordloom/source` condition. Returns one line per diagnostic in the
 * example (`README.md:<line>:<col> TS<code>: message`); empty when it type-checks.
 */
export function typecheckExample(example: ReadmeExample): string[] {
  const { dir, file } = writeTemp(example, example.code);
  try {
    const configPath = join(example.packageDir, 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    if (parsed == null) throw new Error(`typecheckExample: cannot read ${configPath}`);
    const options: ts.CompilerOptions = {
      ...parsed.options,
      noEmit: true,
      customConditions: ['@wordloom/source'],
    };
    for (const [key, want] of [
      ['strict', true],
      ['module', ts.ModuleKind.NodeNext],
      ['moduleResolution', ts.ModuleResolutionKind.NodeNext],
    ] as const) {
      if (options[key] !== want) throw new Error(`typecheckExample: ${configPath} must set ${key} (strict NodeNext)`);
    }
    const program = ts.createProgram({ rootNames: [file], options });
    const source = program.getSourceFile(file)!;
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    return diagnostics.map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file == null || d.start == null) return `TS${d.code}: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const where = d.file.fileName === file ? `README.md:${example.line + line}:${character + 1}` : d.file.fileName;
      return `${where} TS${d.code}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunExampleOptions {
  /**
   * String literals of the example to replace before running, by value (typically a file name
   * in the example → the path of a committed fixture or a temporary file). Each must occur.
   */
  files?: Record<string, string>;
}

/**
 * Runs the example (through the caller's module loader: vitest compiles the TypeScript) and
 * returns the arguments of every `console.log` call it made, in order; the calls are not
 * printed. Throws whatever the example throws.
 */
export async function runExample(example: ReadmeExample, opts: RunExampleOptions = {}): Promise<unknown[][]> {
  let code = example.code;
  for (const [literal, value] of Object.entries(opts.files ?? {})) {
    const pattern = new RegExp(`(['"])${literal.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}\\1`, 'gu');
    if (!pattern.test(code)) throw new Error(`runExample: the README example has no string literal '${literal}'`);
    code = code.replace(pattern, () => JSON.stringify(value));
  }
  const { dir, file } = writeTemp(example, code);
  const logs: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    logs.push(args);
  };
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
  return logs;
}
