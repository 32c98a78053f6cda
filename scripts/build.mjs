// `npm run build`: `nest build --all`, the one build path (docs/decisions.md). Every application of nest-cli.json is
// compiled by tsc from its services/<name>/tsconfig.app.json into dist/, `@boxoffice/*` paths rewritten to relative
// ones by the Nest CLI, inventory's Lua scripts copied beside the code that reads them. `npm start`, the Dockerfile
// and `nest start <app> --watch` all run what this makes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function build() {
  checkApplications();
  // Shared by the three applications, so nest's own deleteOutDir (once per application) cannot be used.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  execFileSync(join(root, 'node_modules', '.bin', 'nest'), ['build', '--all'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** A service missing from nest-cli.json, or a project there with no source, fails the build: the file cannot rot. */
function checkApplications() {
  const { projects } = JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8'));
  const listed = Object.entries(projects).map(([name, p]) => `${name} ${p.sourceRoot}/${p.entryFile}.ts`);
  const services = readdirSync(join(root, 'services'))
    .filter((name) => existsSync(join(root, 'services', name, 'src', 'main.ts')))
    .map((name) => `${name} services/${name}/src/main.ts`);
  const unlisted = services.filter((service) => !listed.includes(service));
  const missing = listed.filter((project) => !services.includes(project));
  if (unlisted.length || missing.length) {
    throw new Error(
      'nest-cli.json and services/ disagree: ' +
        [
          ...unlisted.map((s) => `not in nest-cli.json: ${s}`),
          ...missing.map((p) => `no such service: ${p}`),
        ].join('; '),
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    build();
  } catch (error) {
    // nest has printed why it failed (execFileSync's error has a status); our own check has not.
    if (error.status === undefined) process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
