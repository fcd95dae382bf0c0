import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'coverage/**', 'bin/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no clients, and
    // activities only as types (the samples' rule), so replay stays deterministic.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto'], message: 'Workflow code must not do I/O; move it into an activity.' },
            { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@aws-sdk/*', '@kubernetes/*'], message: 'Workflows call these only through activities.' },
            { group: ['../activities/*', '../aws/*', '../k8s/*', '../linux/*', '../dev/*'], allowTypeImports: true, message: 'Import activity code as types only (import type).' },
          ],
        },
      ],
    },
  },
);
