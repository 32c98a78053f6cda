// Slowest suites first, also in a clean clone. Jest orders suites by the time each took last run (its cache, under
// /tmp), else by file size: a fresh checkout (CI) has no cache, and size ranks a 60 s suite of two tests behind
// quick ones of many, so it can start late and run on alone at the end. A suite the cache does not know takes the
// time measured in jest-durations.json (seconds, by path; `node scripts/jest-durations.mjs`), which only orders the run.
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sequencer from '@jest/test-sequencer';

const root = dirname(fileURLToPath(import.meta.url));
const measured = JSON.parse(readFileSync(`${root}/jest-durations.json`, 'utf8'));

export default class SlowestFirstSequencer extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached !== undefined) return cached;
    const seconds = measured[relative(root, test.path)];
    return seconds === undefined ? undefined : seconds * 1000;
  }
}
