import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// The rules that keep the layout findable (README "Where to find what"):
// services never import each other, libs never import services, files are kebab-case with their role.
const SERVICES = readdirSync(new URL('./services', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** The roles a file name may carry after its kebab-case name: `order.entity.ts`, `orders.e2e-spec.ts`. */
const ROLES = [
  'client',
  'config',
  'controller',
  'decorator',
  'definition',
  'dto',
  'entity',
  'filter',
  'guard',
  'handler',
  'message',
  'messaging',
  'module',
  'scenario',
  'service',
  'test-app',
  'transport',
  'view',
];
const FILE_NAME = new RegExp(
  `^[a-z0-9]+(-[a-z0-9]+)*(\\.(${ROLES.join('|')}))?(\\.(spec|e2e-spec|system-spec))?\\.(ts|mjs|js|cjs)$`,
);

const layout = {
  rules: {
    'file-name': {
      meta: {
        type: 'suggestion',
        docs: { description: 'file names are kebab-case, with a known role: order-saga.ts, order.entity.ts' },
        schema: [],
      },
      create: (context) => ({
        Program(node) {
          const name = basename(context.filename);
          if (FILE_NAME.test(name)) return;
          context.report({
            node,
            message: `"${name}" must be kebab-case, optionally with one role (.${ROLES.join(', .')}) and .spec/.e2e-spec/.system-spec`,
          });
        },
      }),
    },
  },
};

/** Imports of another service's code, however they are written (relative path or otherwise). */
const otherServices = (self) =>
  SERVICES.filter((service) => service !== self).map((service) => ({
    regex: `(^|/)(services/)?${service}/src(/|$)`,
    message: `services never import each other: ${self} talks to ${service} through libs/contracts (messages, DTOs) only`,
  }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    plugins: { layout },
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'layout/file-name': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  ...SERVICES.map((service) => ({
    files: [`services/${service}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: otherServices(service) }] },
  })),
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `(^|/)(services/|(${SERVICES.join('|')})/src(/|$))`,
              message: 'libs never import services: a lib is used by services, never the other way round',
            },
          ],
        },
      ],
    },
  },
);
