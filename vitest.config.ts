import { defineConfig } from 'vitest/config';
import { readdirSync, existsSync } from 'node:fs';

// One vitest project per workspace package: `pnpm test` runs them all,
// `pnpm vitest --project tokenizer` runs one.
const dirs = ['packages', 'apps', 'tooling']
  .flatMap((group) =>
    existsSync(group)
      ? readdirSync(group, { withFileTypes: true })
          .filter((d) => d.isDirectory() && existsSync(`${group}/${d.name}/package.json`))
          .map((d) => `${group}/${d.name}`)
      : [],
  )
  .concat(existsSync('apps/demo/web/package.json') ? ['apps/demo/web'] : []);

// Workspace packages resolve to their TypeScript sources (the `@wordloom/source`
// export condition), so tests never need a build of a sibling package.
const conditions = ['@wordloom/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node', 'import', 'default'] } },
  test: {
    passWithNoTests: true,
    // CI (.ci/run) asks for a JSON report beside the usual output, to print its summary line.
    ...(process.env.WORDLOOM_TEST_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.WORDLOOM_TEST_REPORT } }
      : {}),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: dirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.split('/').slice(1).join('-'),
        root: dir,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts', '*.test.ts'],
      },
    })),
  },
});
