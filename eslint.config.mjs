// Lint rules: typescript-eslint's recommended set; formatting is Prettier's job.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.serverless/',
      '.serverless-matrix/',
      'coverage/',
      // Written while the lint runs in npm test (the Python tools install beside it), and no TypeScript.
      '.venv-tools/',
      '.venv-checkov/',
      '.cache/',
      'test-output/',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read environment variables through shared/config/runtime-env.ts.',
        },
      ],
      // Creating an Intl formatter starts ICU: 20–25 ms of every cold start when a module does it as it
      // loads (docs/cold-start.md). Create it on first use, or use shared/domain/count-text.ts for counts.
      'no-restricted-syntax': [
        'error',
        ...['Program > VariableDeclaration', 'Program > ExportNamedDeclaration > VariableDeclaration'].map(
          (declaration) => ({
            selector: `${declaration} > VariableDeclarator > NewExpression.init[callee.object.name='Intl']`,
            message: 'No Intl formatter at module level: it costs every cold start; create it on first use.',
          }),
        ),
      ],
    },
  },
  {
    // Entry points and tooling may set or read process variables directly.
    files: [
      'cli/**',
      'scripts/**',
      'bench/**',
      'test/**',
      'examples/**',
      'local-runtime/local-environment.ts',
      'shared/config/runtime-env.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
