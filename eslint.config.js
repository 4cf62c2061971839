// Lint rules: typescript-eslint's type-checked recommended set, no `any` in our code, no
// floating or misused promise, and no error swallowed without a published reason.
// ESLint lints what Prettier checks: the files .gitignore does not exclude (a scratch file
// in a git-ignored folder of a clone never turns `npm test` red).
import { fileURLToPath } from 'node:url';
import { includeIgnoreFile } from '@eslint/compat';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** A function that does nothing with what it gets: `() => {}`, `() => undefined`, `() => null`. */
const emptyHandler = `:matches(${[
  'ArrowFunctionExpression[body.type="BlockStatement"][body.body.length=0]',
  'FunctionExpression[body.body.length=0]',
  'ArrowFunctionExpression[body.type="Identifier"][body.name="undefined"]',
  'ArrowFunctionExpression[body.type="Literal"][body.raw="null"]',
].join(', ')})`;

export default tseslint.config(
  includeIgnoreFile(fileURLToPath(new URL('.gitignore', import.meta.url)), '.gitignore'),
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      // The TypeScript files tsconfig.json covers (src, test, examples, scripts/*.ts) are
      // linted with their types; the project service finds that tsconfig for each file.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // node:test's test()/describe()/it() return promises the runner itself awaits (a
      // subtest's t.test() is not in this list: it must be awaited).
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // An async method that awaits nothing is how we implement a Promise-returning interface
      // (the chat bus, replay stores) and turn a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Option checks and log lines format values of unknown shape (YAML, channel messages)
      // with String() and templates on purpose: the text is what the operator gave.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // A caught error or an AbortSignal's reason is passed on as it came, not re-wrapped.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The library drops no error in silence: src/internal/ignore-error.ts publishes each one
    // it ignores on purpose, with its reason (docs/errors.md, "Errors ignored on purpose").
    files: ['src/**/*.ts'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }], // an empty catch {} says why inside
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.property.name='catch'] > ${emptyHandler}`,
          message:
            "A rejection dropped in silence: use .catch(ignoreError('area:what')) from src/internal/ignore-error.ts, or handle it.",
        },
        {
          selector: `CallExpression[callee.property.name='then'] > ${emptyHandler}:nth-child(2)`,
          message:
            "A rejection dropped in silence: use .catch(ignoreError('area:what')) from src/internal/ignore-error.ts, or handle it.",
        },
        {
          selector: `CallExpression[callee.property.name=/^(on|once|addListener)$/][arguments.0.value='error'] > ${emptyHandler}`,
          message:
            "An 'error' event dropped in silence: use ignoreError('area:what') from src/internal/ignore-error.ts, or handle it.",
        },
      ],
    },
  },
  {
    // Type tests take methods off their objects on purpose: expectTypeOf(sock.recv).
    files: ['test/types/**'],
    // `@ts-expect-error` lines call what must not exist: their types are unresolved on purpose.
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // Plain JavaScript (bin/, bench/, scripts/*.mjs, this file), bench's hand-written
    // declarations and the docs' examples (test/unit/docs/doc-examples.test.ts lints them as
    // docs/example-NNN.ts; the test before it type-checks them) are outside tsconfig.json:
    // lint them without types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.d.mts', 'docs/**'],
    ...tseslint.configs.disableTypeChecked,
  },
);
