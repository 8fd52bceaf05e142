// eslint (flat config): typescript-eslint's recommended rules on the TypeScript sources and tests.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'lab/**', 'bench/**', 'bin/**', 'oclif.manifest.json', 'eslint.config.js', 'vitest.config.ts']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      'no-empty': ['error', {allowEmptyCatch: true}],
      // Escaping and parsing terminal and /proc text matches control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read JSON documents of the CLI: `any` is the honest type there.
    files: ['test/**/*.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off'},
  },
)
