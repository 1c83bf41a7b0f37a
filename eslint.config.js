import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'cdk.out/', '.local/', 'bench-results/', 'controller/api/generated/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The pure core must not reach for the SDK, the environment or the clock (DESIGN §8).
    files: ['controller/core/**/*.ts', 'controller/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@aws-lambda-powertools/*'],
              message: 'core/ and api/ stay pure: no SDK or Powertools.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'core/ reads no environment: pass config in.' },
        { object: 'Date', property: 'now', message: 'core/ reads no clock: pass a Clock in.' },
      ],
    },
  },
);
