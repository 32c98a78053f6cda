// `npm start`: infrastructure up, build, then every service under services/ as a child process with
// prefixed logs, until Ctrl-C. Settings pass through from the environment untouched.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { INFRASTRUCTURE_DEFAULTS } from './defaults.mjs';
import { ensureInfrastructure } from './infra.mjs';
import { devIssuerForThisRun } from './dev-issuer.mjs';
import { tokensForThisRun } from './run-tokens.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;

/** The ports in docs/contract.md §1; a service not listed there needs its <NAME>_PORT set to be health-checked. */
const DEFAULT_PORTS = INFRASTRUCTURE_DEFAULTS.ports;
const HEALTH_TIMEOUT_MS = Number(env.START_HEALTH_TIMEOUT_SECONDS || 60) * 1000;
// Longer than a service's own SHUTDOWN_TIMEOUT_MS (10 s), so that it says what it could not stop before we kill it.
const STOP_GRACE_MS = Number(env.START_STOP_GRACE_SECONDS || 15) * 1000;
// Left alone, V8 lets a storm's garbage grow a service past 350 MB before a full collection; its live set is far
// smaller. The same limit is in the Dockerfile.
const HEAP_MB = Number(env.SERVICE_HEAP_MB || 192);
// Node's own flags for every service, e.g. "--cpu-prof --cpu-prof-dir=.boxoffice/profiles" (not allowed in NODE_OPTIONS).
const NODE_ARGS = [
  `--max-old-space-size=${HEAP_MB}`,
  ...(env.START_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
];

const color = (env.FORCE_COLOR && env.FORCE_COLOR !== '0') || (process.stdout.isTTY && !env.NO_COLOR);
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const PALETTE = [36, 35, 33, 32, 34, 96];
const say = (text) => process.stdout.write(`${paint(1, '[start]')} ${text}\n`);
const alarm = (text) => process.stderr.write(`${paint('1;31', `[start] !!! ${text}`)}\n`);

// Keep escape codes out of a log file unless asked for. A terminal gets readable log lines (coloured when ours
// are), anything else the JSON lines of production.
const tokens = tokensForThisRun(env, root);
const buyers = await devIssuerForThisRun(env, root);
const childEnv = {
  ...env,
  ...(!color && env.NO_COLOR === undefined && { NO_COLOR: '1' }),
  ...(env.LOG_FORMAT === undefined &&
    process.stdout.isTTY && { LOG_FORMAT: 'pretty', ...(color && { FORCE_COLOR: '1' }) }),
  ...tokens.env,
  ...buyers.env,
};

const services = discoverServices();
const children = new Map(); // name -> { child, exited }
let stopping = false;
let exitCode = 0;

await main();

async function main() {
  if (services.length === 0) return fail('no services/*/src/main.ts found');
  try {
    await ensureInfrastructure({ log: (text) => say(text) });
  } catch (error) {
    for (const text of error.message.split('\n')) alarm(text);
    return fail('the infrastructure is not there; nothing was started');
  }

  say('building (nest build --all)...');
  const buildStarted = Date.now();
  try {
    build();
  } catch (error) {
    if (error.status === undefined) alarm(error.message); // nest's own output says why it failed
    return fail('the build failed (output above); nothing was started');
  }
  say(`built in ${((Date.now() - buildStarted) / 1000).toFixed(1)}s`);

  const missing = services.filter((s) => !existsSync(s.entry));
  if (missing.length) return fail(`the build made no ${missing.map((s) => s.entry).join(', ')}`);

  // Installed only now: until a child runs, the default Ctrl-C (die at once) is the right one.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => onSignal(signal));
  // Last resort if this process dies of a bug: no service left holding its port.
  process.on('exit', () => {
    for (const { child, exited } of children.values()) if (!exited) child.kill('SIGKILL');
  });

  const width = Math.max(...services.map((s) => s.name.length));
  services.forEach((service, i) =>
    launch(service, paint(PALETTE[i % PALETTE.length], `[${service.name}]`.padEnd(width + 2))),
  );

  const startedAt = Date.now();
  const healthy = await Promise.all(services.map(waitHealthy));
  if (stopping) return; // a child died or Ctrl-C came while we waited; that path reports and exits
  if (healthy.includes(false)) return void stopAll('SIGTERM', 1);
  summary((Date.now() - startedAt) / 1000);
}

function discoverServices() {
  const dir = join(root, 'services');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'src', 'main.ts')))
    .sort()
    .map((name) => {
      const upper = name.toUpperCase();
      const port = env[`${upper}_PORT`] || DEFAULT_PORTS[name];
      return {
        name,
        entry: join(root, 'dist', 'services', name, 'src', 'main.js'),
        url: port ? `http://${reachableHost(env[`${upper}_HOST`])}:${port}` : null,
      };
    });
}

/** Where to reach a service that listens on `host`: a wildcard address is reached on loopback. */
function reachableHost(host) {
  if (!host || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function launch(service, prefix) {
  // Its own process group: a Ctrl-C in the terminal reaches only us, and each service gets the
  // signal exactly once, from us. Twice would cut short Nest's graceful shutdown.
  const child = spawn(process.execPath, ['--enable-source-maps', ...NODE_ARGS, service.entry], {
    cwd: root,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, exited: false };
  children.set(service.name, entry);

  // Whole lines only, so that two services never interleave within a line.
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (text) =>
      process.stdout.write(`${prefix} ${text}\n`),
    );
  }

  child.on('error', (error) => alarm(`${service.name} could not be started: ${error.message}`));
  // 'close', not 'exit': it comes after the last lines of output have been read and printed.
  child.on('close', (code, signal) => {
    entry.exited = true;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!stopping) {
      alarm(`${service.name} EXITED UNEXPECTEDLY (${how}); stopping the others`);
      stopAll('SIGTERM', 1);
    } else {
      say(`${service.name} stopped (${how})`);
      // A service stops on the signal and exits 0 (or dies of it while still booting); a code is an unclean stop.
      if (!signal && code !== 0) exitCode = 1;
    }
    if ([...children.values()].every((c) => c.exited)) process.exit(exitCode);
  });
}

/** true once GET /health/ready answers 200; false at the deadline or when we are stopping anyway. */
async function waitHealthy(service) {
  if (!service.url) {
    say(`${service.name}: no port known (set ${service.name.toUpperCase()}_PORT); not health-checked`);
    return true;
  }
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer yet';
  while (!stopping && Date.now() < deadline) {
    try {
      const response = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return true;
      last = `status ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!stopping)
    alarm(
      `${service.name}: ${service.url}/health/ready not 200 after ${HEALTH_TIMEOUT_MS / 1000}s (${last})`,
    );
  return false;
}

function summary(seconds) {
  const management = new URL(env.RABBITMQ_MANAGEMENT_URL || INFRASTRUCTURE_DEFAULTS.rabbitmqManagementUrl);
  const login = `${decodeURIComponent(management.username)} / ${decodeURIComponent(management.password)}`;
  management.username = management.password = '';
  const rows = [
    ...services.map((s) => [s.name, s.url ?? '(no port known)', s.url ? 'GET /health/ready 200' : '']),
    ['RabbitMQ UI', management.origin + management.pathname.replace(/\/$/, ''), login],
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  say(
    paint(
      '1;32',
      `Boxoffice is up (${services.length} service${services.length === 1 ? '' : 's'} healthy ` +
        `${seconds.toFixed(1)}s after launch):`,
    ),
  );
  for (const [name, url, note] of rows) say(`  ${name.padEnd(width)}${url.padEnd(26)}${note}`);
  const docs = services.filter((s) => s.url).map((s) => `${s.url}/docs`);
  if (docs.length) say(`API docs (OpenAPI at /docs/json): ${docs.join('  ')}`);
  if (tokens.file) {
    // Where, not what: this output often ends up in a log file.
    say(`${Object.keys(tokens.env).join(' and ')} made for this run; for curl: source ${tokens.file}`);
  }
  if (buyers.note) say(buyers.note);
  say('Ctrl-C stops everything.');
}

function onSignal(signal) {
  if (stopping) return say(`${signal} again: still waiting for the services to stop`);
  say(`${signal}: stopping ${[...children.keys()].join(', ')}`);
  stopAll(signal, 0);
}

function stopAll(signal, code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const { child, exited } of children.values()) if (!exited) child.kill(signal);
  // Whoever has not stopped by then is killed; unref so a clean stop does not wait for the timer.
  setTimeout(() => {
    for (const [name, { child, exited }] of children) {
      if (exited) continue;
      alarm(`${name} did not stop within ${STOP_GRACE_MS / 1000}s; killing it`);
      child.kill('SIGKILL');
      exitCode = 1;
    }
  }, STOP_GRACE_MS).unref();
  if ([...children.values()].every((c) => c.exited)) process.exit(exitCode);
}

function fail(message) {
  alarm(message);
  process.exit(1);
}
