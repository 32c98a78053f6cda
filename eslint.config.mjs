import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// The rules that keep the layout findable (docs/architecture.md#where-to-find-what): libs sit below services,
// tools (ops/, chaos/, bench/, system/) above them. Services never import each other nor a tool; libs never import
// a service nor a tool; a tool imports a service only through its public face (SERVICE_FACE); libs/testing stays
// out of production code; files are kebab-case with their role.
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

const TOOLS = ['ops', 'chaos', 'bench', 'system'];

/** Imports of a tool's code from below it (always relative: tools have no path alias). */
const tools = (who) => ({
  regex: `^(\\.\\./)+(${TOOLS.join('|')})(/|$)`,
  message: `${who} never import ops/, chaos/, bench/ or system/: tools sit above services and libs`,
});

/**
 * What a tool may import from a service: the files at the top of its src/ that start it, nothing from its folders.
 * - `<service>.module`: the Nest module, to run the service in the test's own process (system/order-trace).
 * - `<service>.config`: the settings that module reads, built from the environment the tool sets.
 * - `<service>.messaging`: the transport options main.ts starts the consumers with, so an in-process service
 *   consumes as the real one does (system/order-trace).
 * - `<service>.test-app`: the service started as the e2e tests start it, with its stack (ops/dlq's e2e test).
 * Anything else a tool needs to know (a Redis key layout, a message) is published in libs/contracts.
 */
const SERVICE_FACE = ['module', 'config', 'messaging', 'test-app'];
const behindServiceFace = SERVICES.map((service) => ({
  regex: `(^|/)services/${service}/src/(?!${service}\\.(${SERVICE_FACE.join('|')})$)`,
  message: `a tool imports ${service} only through its public face (services/${service}/src/${service}.{${SERVICE_FACE.join(',')}}); what else it needs is published in libs/contracts`,
}));

/** libs/testing, however it is written: the alias or a relative path. */
const testing = {
  regex: '^(@boxoffice/testing/|(\\.\\./)+(libs/)?testing/src/)',
  message: 'libs/testing is for tests, chaos, bench and system only, never production code',
};
/** Files that may use libs/testing: the tests of every folder, and the test-apps that start a service for them. */
const TESTS = ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.system-spec.ts', '**/*.test-app.ts'];

const servicesFromLibs = {
  regex: `(^|/)(services/|(${SERVICES.join('|')})/src(/|$))`,
  message: 'libs never import services: a lib is used by services, never the other way round',
};

const harnesses = {
  regex: '^(\\.\\./)+(chaos|bench|system)(/|$)',
  message: 'ops/ runs against production and never imports the test harnesses (chaos/, bench/, system/)',
};

/** `files` (but not `ignores`) may not import what `patterns` match. */
const restrict = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

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
  // The waiting room page's script runs in the browser, as an ES module (services/order/src/waiting-room/page/).
  {
    files: ['services/*/src/**/assets/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
  // A file gets one list of forbidden imports (a later block would replace an earlier one's), so production code
  // and tests each name theirs in full.
  ...SERVICES.flatMap((service) => [
    restrict([`services/${service}/**/*.ts`], [...otherServices(service), tools('services'), testing], TESTS),
    restrict(
      TESTS.map((test) => `services/${service}/${test}`),
      [...otherServices(service), tools('services')],
    ),
  ]),
  restrict(['libs/**/*.ts'], [servicesFromLibs, tools('libs'), testing], [...TESTS, 'libs/testing/**']),
  restrict(
    [...TESTS.map((test) => `libs/${test}`), 'libs/testing/**/*.ts'],
    [servicesFromLibs, tools('libs')],
  ),
  // ops/ runs against production: its code, unlike its tests, does without libs/testing and the test harnesses.
  restrict(['ops/**/*.ts'], [...behindServiceFace, harnesses, testing], TESTS),
  restrict(
    [...TESTS.map((test) => `ops/${test}`), 'chaos/**/*.ts', 'bench/**/*.ts', 'system/**/*.ts'],
    behindServiceFace,
  ),
);
