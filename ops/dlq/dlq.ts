// `npm run dlq -- list|show|replay|purge`: the dead-letter queues an operator works with (docs in README).
//   list   [--queue <q>]                     every DLQ with its count, or one DLQ's messages: id, reason, error
//   show   --queue <q> --id <messageId>      one message: its headers and body
//   replay --queue <q> (--id <id>... | --all) back to the queue it was parked from, as a first attempt
//   purge  --queue <q> [--yes]               deletes them all, after confirmation
// <q> is a consumer queue (`payment.order_created`) or its DLQ (`payment.order_created.dlq`).
// Exit code 0: done; 1: nothing matched or purge declined; 2: it could not run.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { EnvReader } from '@boxoffice/config/env-reader';
import { INFRASTRUCTURE_DEFAULTS } from '@boxoffice/config/infrastructure-defaults';
import { RabbitManagement } from '@boxoffice/messaging/rabbit-management';
import { deadLetterQueueOf } from '@boxoffice/messaging/topology';
import { DeadLetters, type DeadLetter } from './dead-letters';

const LIMIT = 1_000;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      queue: { type: 'string' },
      id: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    },
  });
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
  if (command === 'list' && !dlq) return listQueues(managementUrl, url);
  if (!dlq || !['list', 'show', 'replay', 'purge'].includes(command ?? '')) return usage();
  const letters = await DeadLetters.open(url);
  try {
    switch (command) {
      case 'list':
        return print((await letters.list(dlq, LIMIT)).map(summary), 'no messages');
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

/** Every `.dlq` of the services' vhost with its message count (the management API's, a few seconds behind). */
async function listQueues(managementUrl: string, url: string): Promise<number> {
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  const queues =
    (await new RabbitManagement(managementUrl).request<Array<{ name: string; messages?: number }>>(
      'GET',
      `/queues/${encodeURIComponent(vhost)}?columns=name,messages`,
    )) ?? [];
  const lines = queues
    .filter((queue) => queue.name.endsWith('.dlq'))
    .map((queue) => `${queue.name.padEnd(40)} ${queue.messages ?? 'unknown'}`);
  return print(lines, 'no dead-letter queues');
}

function summary(letter: DeadLetter): string {
  return [letter.messageId, letter.reason, letter.correlationId, letter.deadLetteredAt, letter.error].join(
    '  ',
  );
}

function print(lines: string[], none: string): number {
  process.stdout.write(`${lines.length ? lines.join('\n') : none}\n`);
  return lines.length ? 0 : 1;
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
  process.stderr.write(
    'usage: npm run dlq -- list [--queue <q>] | show --queue <q> --id <id> | ' +
      'replay --queue <q> (--id <id>... | --all) | purge --queue <q> [--yes]\n',
  );
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dlq failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
