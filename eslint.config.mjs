import { defineConfig } from 'eslint/config';
import baseConfig from './.config/eslint.config.mjs';

export default defineConfig([
  {
    ignores: [
      '**/logs',
      '**/*.log',
      '**/node_modules/',
      '**/coverage',
      '**/dist/',
      '**/build/',
      'agent/prebuilds/',
      'test-results/',
      'playwright-report/',
      'blob-report/',
      'playwright/.cache/',
      'playwright/.auth/',
      '**/.eslintcache',
    ],
  },
  ...baseConfig,
  {
    // The contract package is linted with the frontend that imports it.
    files: ['packages/shared/src/**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: './packages/shared/tsconfig.json',
      },
    },
    rules: {
      '@typescript-eslint/no-deprecated': 'warn',
    },
  },
]);
