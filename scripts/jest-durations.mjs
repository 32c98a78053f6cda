// `node scripts/jest-durations.mjs <jest --json output>`: writes jest-durations.json, each suite's seconds in that
// run, which jest-sequencer.mjs starts the slowest suites first by in a clone with no jest cache (CI).
// The run: `npx jest --maxWorkers=2 --json --outputFile=/tmp/jest.json` (docs/testing.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const [report] = process.argv.slice(2);
if (!report) {
  process.stderr.write('usage: node scripts/jest-durations.mjs <jest --json output>\n');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
const { testResults } = JSON.parse(readFileSync(report, 'utf8'));
const seconds = testResults
  .map((suite) => [relative(root, suite.name), Math.round((suite.endTime - suite.startTime) / 100) / 10])
  .sort(([a, sa], [b, sb]) => sb - sa || a.localeCompare(b));
writeFileSync(
  new URL('../jest-durations.json', import.meta.url),
  `${JSON.stringify(Object.fromEntries(seconds), null, 2)}\n`,
);
process.stdout.write(
  `jest-durations.json: ${seconds.length} suites, the slowest ${seconds[0]?.[0]} (${seconds[0]?.[1]} s)\n`,
);
