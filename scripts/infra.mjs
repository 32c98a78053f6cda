// Makes sure Postgres, Redis and RabbitMQ (with its management API) answer at the configured URLs,
// starting whichever does not, then creates the database and the service schemas.
// Used by `npm run infra`, `npm start` and .ci/run, so that all three take the same path.
// Safe to run again: with everything up it only checks, which takes well under a second.
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import Redis from 'ioredis';
import pg from 'pg';
import { INFRASTRUCTURE_DEFAULTS } from './defaults.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The services' own defaults (libs/config/src/defaults.json), so that no setting is needed on a machine with
// local services. `||` rather than `??`: the services treat an empty variable as unset, and so must we.
export function infraSettings(env = process.env) {
  const defaults = INFRASTRUCTURE_DEFAULTS;
  return {
    databaseUrl: env.DATABASE_URL || defaults.databaseUrl,
    redisUrl: env.REDIS_URL || defaults.redisUrl,
    rabbitmqUrl: env.RABBITMQ_URL || defaults.rabbitmqUrl,
    rabbitmqManagementUrl: env.RABBITMQ_MANAGEMENT_URL || defaults.rabbitmqManagementUrl,
  };
}

/** The schemas the services own; each service also creates its own at boot, this just saves the race. */
const SCHEMAS = Object.values(INFRASTRUCTURE_DEFAULTS.schemas);

// Errors that mean "nothing answers there (yet)": only then is starting something the right cure.
// Anything else (bad password, unknown vhost) means the server is up and starting another would not help.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
// Postgres says 57P03, "the database system is starting up", before it takes queries.
const isStartingUp = (error) => error?.code === '57P03';
const isUnreachable = (error) =>
  UNREACHABLE.has(error?.code) ||
  isStartingUp(error) ||
  /timeout|timed out|socket closed|connection (is )?closed|connection terminated/i.test(error?.message ?? '');

// How each component is checked, and how it is started on a machine with the Debian packages
// (the same commands that bring up these machines' own services) or with Docker.
const components = (s) => [
  {
    name: 'postgres',
    url: s.databaseUrl,
    // The maintenance database: the one in DATABASE_URL may not exist yet, which is ours to fix.
    probe: () => probePostgres(withDatabase(s.databaseUrl, 'postgres')),
    binary: 'pg_ctlcluster',
    command: () => {
      const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
      const version = versions.at(-1) ?? '$(ls /etc/postgresql)';
      return ['pg_ctlcluster', '--skip-systemctl-redirect', version, 'main', 'start'];
    },
    compose: 'postgres',
    waitSeconds: 60,
  },
  {
    name: 'redis',
    url: s.redisUrl,
    probe: () => probeRedis(s.redisUrl),
    binary: 'redis-server',
    // Nothing kept on disk: Redis is only the hot gate and is rebuilt from Postgres.
    command: () => [
      'redis-server',
      ...['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', new URL(s.redisUrl).port || '6379'],
      ...[
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--dir',
        '/var/lib/redis',
        '--logfile',
        '/var/log/redis/ci.log',
      ],
    ],
    prepare: () => ['/var/lib/redis', '/var/log/redis'].forEach((dir) => mkdirSync(dir, { recursive: true })),
    compose: 'redis',
    waitSeconds: 30,
  },
  {
    name: 'rabbitmq',
    url: s.rabbitmqUrl,
    probe: () => probeRabbit(s.rabbitmqUrl),
    binary: 'rabbitmq-server',
    command: () => ['rabbitmq-server', '-detached'],
    compose: 'rabbitmq',
    // The Erlang VM takes its time on two busy cores.
    waitSeconds: 120,
  },
];

/**
 * Checks each component, starts the ones that do not answer, waits for them, then the management
 * API, then the database and schemas. Throws with what to do when something cannot be had.
 */
export async function ensureInfrastructure({ log = console.log, env = process.env } = {}) {
  const settings = infraSettings(env);
  // In parallel: a cold start of all three then costs the slowest one, not the sum.
  // Their lines are printed in a fixed order once all are settled, so that logs compare run to run.
  const list = components(settings);
  const results = await Promise.allSettled(list.map((c) => ensureComponent(c, log)));
  for (const r of results) if (r.status === 'fulfilled') log(r.value.line);
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (failures.length) throw new Error(failures.join('\n'));

  const rabbitStarted = results[list.findIndex((c) => c.name === 'rabbitmq')].value.state === 'started';
  await ensureManagement(settings, rabbitStarted, log);
  await ensureDatabase(settings.databaseUrl, log);
  return settings;
}

/** Resolves to { state: 'running' | 'started', line }; rejects with a message that says what to do. */
async function ensureComponent(component, log) {
  const { name, url, probe } = component;
  const first = await attempt(probe);
  if (first === true) return { state: 'running', line: line(name, 'ok (already running)') };
  if (!isUnreachable(first)) {
    throw new Error(
      line(name, `FAILED: ${redact(url)} answers "${first.message}"; starting a server would not help`),
    );
  }

  const started = Date.now();
  // A server that is still booting is left to finish: starting it again would only fail.
  let how = 'was starting up';
  if (!isStartingUp(first)) {
    how = await startComponent(component, first, log);
  }
  const last = await waitFor(probe, component.waitSeconds);
  if (last !== true) {
    throw new Error(
      line(name, `FAILED: ${how}, but still no answer at ${redact(url)} after ${component.waitSeconds}s: `) +
        last.message,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { state: 'started', line: line(name, `started (${how}; answered after ${seconds}s)`) };
}

/** Starts one component the first way that applies, or throws with the commands a person could run. */
async function startComponent(component, error, log) {
  const { name, url, binary, command, prepare, compose } = component;
  // Said at once: a cold RabbitMQ takes a while, and silence would look like a hang.
  const starting = (how) => log(line(name, `not answering (${reason(error)}); starting it: ${how}`));
  if (isLocal(url) && findExecutable(binary)) {
    starting(shellJoin(command()));
    prepare?.();
    await runToEnd(name, command());
    return `ran ${binary}`;
  }
  const whyNot = isLocal(url) ? `${binary} is not installed` : 'that host is not this machine';
  if (dockerWorks()) {
    starting(`docker compose up -d ${compose}`);
    await runToEnd(name, ['docker', 'compose', '-f', join(root, 'docker-compose.yml'), 'up', '-d', compose]);
    return `ran docker compose up -d ${compose}`;
  }
  throw new Error(
    line(
      name,
      `DOWN: nothing answers at ${redact(url)} (${reason(error)}); ${whyNot}, and no Docker engine answers.\n`,
    ) +
      `${' '.repeat(12)}Start it with \`docker compose up -d ${compose}\`, or install the Debian package and run\n` +
      `${' '.repeat(12)}\`${shellJoin(command())}\`, or point the URL at a server that runs.`,
  );
}

/** The management UI/API is a plugin: off on a fresh Debian install, on in the -management image. */
async function ensureManagement(settings, rabbitJustStarted, log) {
  const name = 'rabbitmq-ui';
  const url = settings.rabbitmqManagementUrl;
  const check = () => probeManagement(url);
  const first = await attempt(check);
  if (first === true) return log(line(name, 'ok (management API answers)'));
  if (first.status === 401) throw new Error(line(name, `FAILED: ${redact(url)} refuses the credentials`));

  let how = 'was starting up';
  const local = isLocal(settings.rabbitmqUrl) && isLocal(url);
  if (local && findExecutable('rabbitmq-plugins')) {
    // Idempotent: enabling an enabled plugin just says so.
    await runToEnd(name, ['rabbitmq-plugins', 'enable', 'rabbitmq_management']);
    how = 'enabled the rabbitmq_management plugin';
  } else if (!rabbitJustStarted) {
    throw new Error(
      line(name, `DOWN: no management API at ${redact(url)} (${first.message}).\n`) +
        `${' '.repeat(12)}Enable it on the broker: \`rabbitmq-plugins enable rabbitmq_management\`.`,
    );
  }
  const last = await waitFor(check, 60);
  if (last !== true)
    throw new Error(line(name, `FAILED: ${how}, but ${redact(url)} still says: ${last.message}`));
  log(line(name, `started (${how})`));
}

/** Creates the database of DATABASE_URL if missing, then the schemas the services own. */
async function ensureDatabase(databaseUrl, log) {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
  let created = false;
  await withClient(withDatabase(databaseUrl, 'postgres'), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      created = true;
    } catch (error) {
      // Someone else created it between our look and our create: that is what we wanted.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    }
  });
  await withClient(databaseUrl, async (client) => {
    for (const schema of SCHEMAS) {
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      } catch (error) {
        // Concurrent CREATE SCHEMA IF NOT EXISTS can still lose the race with a unique violation.
        if (error.code !== '23505') throw error;
      }
    }
  });
  log(line('database', `${created ? 'created' : 'ok'} (${database}; schemas ${SCHEMAS.join(', ')})`));
}

// ---- probes: a real round trip in each protocol, not just an open port ----

async function probePostgres(url) {
  await withClient(url, (client) => client.query('SELECT 1'));
}

async function probeRedis(url) {
  // No retries and no offline queue: we want the first answer, and to poll ourselves.
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED...) says more than the "Connection is closed." that follows it.
  let socketError;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect().catch((error) => {
      throw socketError ?? error;
    });
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
  } finally {
    redis.disconnect();
  }
}

async function probeRabbit(url) {
  const connection = await amqp.connect(url, { timeout: 3000 });
  connection.on('error', () => {});
  await connection.close();
}

async function probeManagement(url) {
  // fetch refuses URLs with credentials in them: move them into the header.
  // Relative to the URL, which may carry a path prefix when the UI sits behind a proxy.
  const target = new URL('api/overview', url.endsWith('/') ? url : `${url}/`);
  const user = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  target.username = target.password = '';
  const response = await fetch(target, {
    headers: { authorization: `Basic ${Buffer.from(user).toString('base64')}` },
    signal: AbortSignal.timeout(3000),
  }).catch((error) => {
    // "fetch failed" says nothing; the cause (ECONNREFUSED, ...) does.
    throw Object.assign(new Error(`GET ${target}: ${error.cause?.code ?? error.message}`), {
      code: error.cause?.code,
    });
  });
  await response.arrayBuffer();
  if (!response.ok) {
    throw Object.assign(new Error(`GET ${target} answered ${response.status}`), { status: response.status });
  }
}

// ---- helpers ----

async function withClient(url, use) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** true, or the error it failed with. */
async function attempt(probe) {
  try {
    await probe();
    return true;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Polls until the probe passes or the deadline passes; returns true or the last error. */
async function waitFor(probe, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const result = await attempt(probe);
    if (result === true || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Runs a start command to its end. Its own session (setsid) keeps a Ctrl-C on `npm start` from
 * reaching the daemon, and its output goes to a file, not a pipe: a daemon that inherits the pipe
 * would otherwise hold us (and a CI log) open for as long as it lives.
 */
async function runToEnd(name, [command, ...args]) {
  const logFile = join(tmpdir(), `boxoffice-infra-${name}.log`);
  const fd = openSync(logFile, 'w');
  let code;
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
    code = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve(signal ?? exitCode));
    });
  } finally {
    closeSync(fd);
  }
  if (code !== 0) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    throw new Error(line(name, `FAILED: \`${shellJoin([command, ...args])}\` exited with ${code}:\n${tail}`));
  }
}

function dockerWorks() {
  if (!findExecutable('docker')) return false;
  // `docker info` fails fast when the client has no engine to talk to.
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

/** PATH plus the sbin directories, which a non-login root shell may lack (rabbitmq-server lives there). */
function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this one
    }
  }
  return null;
}

function isLocal(url) {
  return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(new URL(url).hostname);
}

function withDatabase(url, database) {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
}

/** For messages a person may paste into a shell. */
const shellJoin = (words) => words.map((w) => (/^[\w./:$()=-]+$/.test(w) ? w : `'${w}'`)).join(' ');

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/** URLs in messages without their passwords. */
function redact(url) {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}

const reason = (error) => error.code ?? error.message;

const line = (name, text) => `${name.padEnd(12)}${text}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureInfrastructure().then(
    () => process.exit(0),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
