// The workspace's one lint config (ESLint 9 flat config + typescript-eslint).
// The root eslint.config.js re-exports it, so `pnpm lint` and editors agree.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
// Last in the list: turns off every rule that would fight Prettier's formatting (`pnpm format`).
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'docs/api/**',
      '**/coverage/**',
      '**/out/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Unused parameters named _x are allowed (callback shapes), others are errors.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Tests and tfjs interop sometimes need `any`; flag it, don't forbid it.
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Packages import each other only through their public entry.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@wordloom/*/src/*', '@wordloom/*/dist/*'],
              message: 'Import a package through its public entry only.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
