// Preloaded by `npm run bench` into every process it measures (`node -r bench/cost-counters.cjs`, through
// START_NODE_ARGS for npm start's services): counts what each process asks of others and, on SIGUSR2, writes the
// counts and its CPU time to $BENCH_COST_DIR/<pid>.json (bench/bench-cost.ts reads them). Counters only: the bench
// measures speed, so nothing here may cost more than an increment per call.
// CommonJS, preloaded with -r: `--import` would run the main module through the ESM loader, unlike production.
const diagnostics = process.getBuiltinModule('node:diagnostics_channel');
const { renameSync, writeFileSync } = process.getBuiltinModule('node:fs');
const Module = process.getBuiltinModule('node:module');
const { join } = process.getBuiltinModule('node:path');

const counts = { sql: 0, transactions: 0, redis: 0, http: 0, amqp: 0 };
const BEGIN = /^\s*(BEGIN|START TRANSACTION)\b/i;

const patches = {
  // pg's Client runs every statement, the pool's and TypeORM's included (a subclass's query reaches it by super).
  pg: (pg) =>
    wrap(pg.Client?.prototype, 'query', (config) => {
      counts.sql++;
      const text = typeof config === 'string' ? config : config?.text;
      if (typeof text === 'string' && BEGIN.test(text)) counts.transactions++;
    }),
  // Every command, a pipeline's one by one, goes through sendCommand.
  ioredis: (Redis) =>
    wrap(Redis?.prototype, 'sendCommand', () => {
      counts.redis++;
    }),
};

/** `object[name]` calls `count` with its arguments first. */
function wrap(object, name, count) {
  const original = object?.[name];
  if (typeof original !== 'function' || original.counted) return;
  object[name] = function (...args) {
    count(...args);
    return original.apply(this, args);
  };
  object[name].counted = true;
}

// amqplib's ConfirmChannel publishes (and sendToQueue) through Channel's publish; its module is reached by its
// exports' shape, as a relative require inside amqplib.
const isChannelModel = (exports) =>
  typeof exports?.ChannelModel === 'function' && typeof exports?.Channel === 'function';

const load = Module._load;
Module._load = function (request, ...rest) {
  const exports = load.call(this, request, ...rest);
  if (Object.hasOwn(patches, request)) patches[request](exports);
  if (isChannelModel(exports))
    wrap(exports.Channel.prototype, 'publish', () => {
      counts.amqp++;
    });
  return exports;
};

// undici (and fetch, its copy in Node) and node:http each tell of a request started.
diagnostics.subscribe('undici:request:create', () => counts.http++);
diagnostics.subscribe('http.client.request.start', () => counts.http++);

const dir = process.env.BENCH_COST_DIR;
if (dir) {
  process.on('SIGUSR2', () => {
    const cpu = process.cpuUsage();
    const file = join(dir, `${process.pid}.json`);
    // Whole or not at all: the bench reads the file as soon as it exists.
    writeFileSync(`${file}.tmp`, JSON.stringify({ ...counts, cpuMs: (cpu.user + cpu.system) / 1000 }));
    renameSync(`${file}.tmp`, file);
  });
}
