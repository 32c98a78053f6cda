// `npm run dlq -- <command>`: the dead-letter queues an operator works with (docs/operations.md); USAGE below says
// what each command does and what it exits with.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { deadLetterQueueOf } from '@boxoffice/messaging/topology';
import { DeadLetters, type DeadLetter } from './dead-letters';

const LIMIT = 1_000;

const USAGE = `usage: npm run dlq -- <command>
  check                                     exits 1 when any .dlq holds a message, naming each and its count
  list   [--queue <q>]                      every .dlq with its count, or one .dlq's messages: id, reason, error
  show   --queue <q> --id <messageId>       one message: its headers and body
  replay --queue <q> (--id <id>... | --all) back to the queue each was parked from, as a first attempt
  purge  --queue <q> [--yes]                deletes them all, after confirmation
<q> is a consumer queue (payment.order_created) or its DLQ (payment.order_created.dlq).
Reads RABBITMQ_URL (its vhost is the services') and RABBITMQ_MANAGEMENT_URL.
Exit code 0: done (for list, also when there is nothing to list); 1: check found parked messages,
show or replay matched nothing, or purge was declined; 2: it could not run, or check found no
dead-letter queue at all (a wrong vhost).
`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      queue: { type: 'string' },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = new EnvReader(process.env);
  const url = env.url('RABBITMQ_URL', INFRASTRUCTURE_DEFAULTS.rabbitmqUrl, ['amqp:', 'amqps:']);
  const managementUrl = env.url('RABBITMQ_MANAGEMENT_URL', INFRASTRUCTURE_DEFAULTS.rabbitmqManagementUrl, [
    'http:',
    'https:',
  ]);
  env.done();
  const [command] = positionals;
  const dlq =
    values.queue && (values.queue.endsWith('.dlq') ? values.queue : deadLetterQueueOf(values.queue));
  if (command === 'check' || (command === 'list' && !dlq)) return everyQueue(command, url, managementUrl);
  if (!dlq || !['list', 'show', 'replay', 'purge'].includes(command ?? '')) return usage();
  const letters = await DeadLetters.open(url);
  try {
    switch (command) {
      case 'list':
        return print((await letters.list(dlq, LIMIT)).map(summary), 'no messages', 0);
      case 'show': {
        const found = (await letters.list(dlq, LIMIT)).find((letter) =>
          values.id?.includes(letter.messageId),
        );
        return print(
          found ? [JSON.stringify(found, null, 2)] : [],
          `no message ${values.id?.join(', ')} in ${dlq}`,
        );
      }
      case 'replay': {
        if (!values.all && !values.id?.length) return usage();
        const replayed = await letters.replay(dlq, values.all ? null : values.id!, LIMIT);
        return print(
          replayed.map((letter) => `replayed ${summary(letter)}`),
          'nothing replayed',
        );
      }
      default: {
        if (!values.yes && !(await confirm(`Delete every message in ${dlq}?`))) return 1;
        process.stdout.write(`purged ${await letters.purge(dlq)} messages from ${dlq}\n`);
        return 0;
      }
    }
  } finally {
    await letters.close();
  }
}

interface QueueCount {
  name: string;
  messages: number;
}

/**
 * `check` or `list` of every `.dlq` of the services' vhost with its count. The names come from the management API,
 * whose definitions do not lag; the counts from the broker itself: the API's statistics are up to 5 s behind, and
 * `check` must not call a queue empty that has just had a message parked in it.
 */
async function everyQueue(command: 'check' | 'list', url: string, managementUrl: string): Promise<number> {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  const queues =
    (await new RabbitManagement(managementUrl).request<Array<{ name: string }>>(
      'GET',
      `/queues/${encodeURIComponent(vhost)}?columns=name`,
    )) ?? [];
  const names = queues.map((queue) => queue.name).filter((name) => name.endsWith('.dlq'));
  if (command === 'check' && names.length === 0) {
    // the services declare a .dlq per consumer queue: none at all means the wrong vhost, not a healthy one
    process.stderr.write(
      `no dead-letter queue found in vhost ${vhost}: is RABBITMQ_URL the services' vhost?\n`,
    );
    return 2;
  }
  const letters = await DeadLetters.open(url);
  try {
    const counts = await Promise.all(
      names.sort().map(async (name) => ({ name, messages: await letters.count(name) })),
    );
    return command === 'check' ? check(counts) : print(counts.map(countLine), 'no dead-letter queues', 0);
  } finally {
    await letters.close();
  }
}

const countLine = (queue: QueueCount): string => `${queue.name.padEnd(40)} ${queue.messages}`;

/** For cron or an alert: 1 and which queues when anything is parked, 0 when nothing is. */
function check(counts: QueueCount[]): number {
  const parked = counts.filter((queue) => queue.messages > 0);
  if (parked.length === 0) {
    process.stdout.write(`nothing parked: ${counts.length} dead-letter queues, all empty\n`);
    return 0;
  }
  const total = parked.reduce((sum, queue) => sum + queue.messages, 0);
  process.stdout.write(
    `${parked.map(countLine).join('\n')}\n${total} parked message${total === 1 ? '' : 's'} in ${parked.length} of ` +
      `${counts.length} dead-letter queues (npm run dlq -- list --queue <q> shows them)\n`,
  );
  return 1;
}

function summary(letter: DeadLetter): string {
  return [letter.messageId, letter.reason, letter.correlationId, letter.deadLetteredAt, letter.error].join(
    '  ',
  );
}

/** `none` when there are no lines; exit 1 then for a command that was to find something, 0 for a listing. */
function print(lines: string[], none: string, exitWhenNone: 0 | 1 = 1): number {
  process.stdout.write(`${lines.length ? lines.join('\n') : none}\n`);
  return lines.length ? 0 : exitWhenNone;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stderr.write(`${question} Not on a terminal: pass --yes to purge.\n`);
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(`${question} [y/N] `);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim());
}

function usage(): number {
  process.stderr.write(USAGE);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dlq failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
