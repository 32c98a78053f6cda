import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// A page that names a file which has moved sends a newcomer nowhere: every relative link and every
// backticked repository path in the markdown must name something the repository holds.
const ROOT = join(__dirname, '..');
const REPOSITORY_FOLDERS = [
  'services',
  'libs',
  'ops',
  'chaos',
  'bench',
  'system',
  'scripts',
  'docs',
  'observability',
];
const REPOSITORY_PATH = new RegExp(`^(${REPOSITORY_FOLDERS.join('|')})/`);

// Pages not added yet count too, so that a writer learns of a broken link before committing it.
const gitFiles = (...args: string[]): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);

const files = new Set(gitFiles());
const folders = new Set([...files].flatMap((file) => ancestorsOf(file)));
const pages = gitFiles('*.md').filter((page) => files.has(page));

function ancestorsOf(file: string): string[] {
  const parts = file.split('/').slice(0, -1);
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}

function exists(path: string): boolean {
  const clean = normalize(path).replace(/\/+$/, '');
  return files.has(clean) || folders.has(clean) || clean === '.';
}

/** Fenced blocks are commands and output; the inline code and links around them are the references. */
function withoutFencedBlocks(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]);
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/(`+)([^`]+?)\1/g)].map((match) => match[2].trim());
}

/** The references of one page that name nothing in the repository, as `target` (line n). */
function brokenReferences(page: string): string[] {
  const text = withoutFencedBlocks(readFileSync(join(ROOT, page), 'utf8'));
  const broken: string[] = [];
  for (const target of linkTargets(text.replace(/(`+)[^`]+?\1/g, ''))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const path = decodeURI(target.split('#')[0]);
    const fromRoot = path.startsWith('/') ? path.slice(1) : join(dirname(page), path);
    if (!exists(fromRoot)) broken.push(`link ${target}`);
  }
  for (const span of codeSpans(text)) {
    if (!REPOSITORY_PATH.test(span)) continue;
    const path = span.split(/\s/)[0].split('#')[0].replace(/:\d+$/, '');
    if (path.includes('*') || path.includes('<')) continue;
    if (!exists(path)) broken.push(`path ${path}`);
  }
  return broken;
}

describe('the markdown pages name only what exists', () => {
  it('finds the pages', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/contract.md']));
  });

  it.each(pages)('%s', (page) => {
    expect(brokenReferences(page)).toEqual([]);
  });
});
