import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// A page that names a file which has moved sends a newcomer nowhere: every relative link and every
// backticked repository path in the markdown must name something the repository holds, and a section it points
// at (`page.md#anchor`) must be a heading of that page. So must a section that a code comment names: a README or a
// docs page with an anchor, or with the section's name in double quotes after it.
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; a repeat gets -1, -2… */
function anchorsOf(page: string): Set<string> {
  const anchors = new Set<string>();
  const headings = withoutFencedBlocks(readFileSync(join(ROOT, page), 'utf8')).matchAll(
    /^#{1,6}\s+(.+?)\s*#*$/gm,
  );
  for (const [, heading] of headings) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = slug;
    for (let repeat = 1; anchors.has(anchor); repeat++) anchor = `${slug}-${repeat}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** The names a page's sections go by: its headings, and the bold labels that open a paragraph (`**Name.**`). */
function sectionNamesOf(page: string): Set<string> {
  const text = withoutFencedBlocks(readFileSync(join(ROOT, page), 'utf8'));
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((match) => match[1]);
  const labels = [...text.matchAll(/^\*\*([^*]+?)\.?\*\*/gm)].map((match) => match[1]);
  return new Set([...headings, ...labels].map((name) => name.replace(/`/g, '').toLowerCase()));
}

/** `#anchor` of `page`, when page is a markdown file: '' when it has that section, else what is broken. */
function brokenAnchor(page: string, anchor: string, reference: string): string {
  if (!anchor || !page.endsWith('.md') || !files.has(page)) return '';
  return anchorsOf(page).has(decodeURIComponent(anchor).toLowerCase()) ? '' : `section ${reference}`;
}

/** The references of one page that name nothing in the repository, as `target` (line n). */
function brokenReferences(page: string): string[] {
  const text = withoutFencedBlocks(readFileSync(join(ROOT, page), 'utf8'));
  const broken: string[] = [];
  for (const target of linkTargets(text.replace(/(`+)[^`]+?\1/g, ''))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const [file, anchor = ''] = target.split('#');
    const path = decodeURI(file);
    const fromRoot = !path ? page : path.startsWith('/') ? path.slice(1) : join(dirname(page), path);
    if (!exists(fromRoot)) broken.push(`link ${target}`);
    else broken.push(brokenAnchor(normalize(fromRoot), anchor, target));
  }
  for (const span of codeSpans(text)) {
    if (!REPOSITORY_PATH.test(span)) continue;
    const [file, anchor = ''] = span.split(/\s/)[0].split('#');
    const path = file.replace(/:\d+$/, '');
    if (path.includes('*') || path.includes('<')) continue;
    if (!exists(path)) broken.push(`path ${path}`);
    else broken.push(brokenAnchor(path, anchor, span));
  }
  return broken.filter(Boolean);
}

const CODE = /(^|\/)Dockerfile$|\.(ts|mjs|js|cjs|yml|yaml|lua|sql|sh)$/;
/** `docs/operations.md#tokens`, `chaos/README.md#the-scenarios`: a section by its anchor, the path from the root. */
const ANCHORED = /((?:[\w-]+\/)*(?:docs\/[\w-]+|README)\.md)#([\w-]+)/g;
/** `README "Quick start"`, `README's "Quick start"`, `docs/contract.md §2, "Saga backlog"`: a section by its name. */
const NAMED = /((?:[\w-]+\/)*(?:docs\/[\w-]+\.md|README(?:\.md)?))(?:'s)?(?: §[\d.]+)?,? "([^"\n]+)"/g;

/** The sections a code comment or page names by their name, or a code comment by its anchor, that do not exist. */
function brokenSections(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const broken: string[] = [];
  for (const [reference, named, name] of text.matchAll(NAMED)) {
    const page = named.endsWith('.md') ? named : `${named}.md`;
    if (!files.has(page) || !sectionNamesOf(page).has(name.toLowerCase()))
      broken.push(`section ${reference}`);
  }
  if (!CODE.test(file)) return broken;
  for (const [reference, page, anchor] of text.matchAll(ANCHORED)) {
    if (!files.has(page)) broken.push(`section ${reference}`);
    else broken.push(brokenAnchor(page, anchor, reference));
  }
  return broken.filter(Boolean);
}

const naming = [...files].filter(
  (file) =>
    (CODE.test(file) || file.endsWith('.md')) && /README|docs\//.test(readFileSync(join(ROOT, file), 'utf8')),
);

describe('the markdown pages name only what exists', () => {
  it('finds the pages', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/contract.md']));
  });

  it.each(pages)('%s', (page) => {
    expect(brokenReferences(page)).toEqual([]);
  });
});

describe('the sections that code and pages name exist', () => {
  it('finds the files that name one', () => {
    expect(naming).toEqual(expect.arrayContaining(['Dockerfile', 'eslint.config.mjs']));
  });

  it.each(naming)('%s', (file) => {
    expect(brokenSections(file)).toEqual([]);
  });
});
