/**
 * The README stays a five-minute page and the docs it was split into stay connected: every relative
 * link (and #anchor) in the project's Markdown points to a file and heading that exist, and every
 * docs page is reachable from the README.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const README = join(ROOT, 'README.md');

/** The Markdown the project ships as its documentation. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f));
  const examples = readdirSync(join(ROOT, 'examples'))
    .map((d) => join(ROOT, 'examples', d, 'README.md'))
    .filter((f) => existsSync(f));
  return [README, ...docs, ...examples];
}

/** Text outside fenced code blocks and inline code, where `[x](y)` is code, not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links and images that stay inside the repository (no scheme, not mail). */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces → '-', repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** What is wrong with each link of `file` (whose text is `markdown`), as "file: target: why". */
function brokenLinks(file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const target of relativeLinks(markdown)) {
    const [path, anchor] = target.split('#', 2);
    const where = resolve(dirname(file), decodeURIComponent(path));
    const name = `${relative(ROOT, file)}: ${target}`;
    if (path !== '' && !existsSync(where)) {
      problems.push(`${name}: no such file`);
    } else if (anchor !== undefined) {
      if (path !== '' && (statSync(where).isDirectory() || !where.endsWith('.md'))) problems.push(`${name}: an anchor into something that is not a Markdown file`);
      else if (!headingAnchors(path === '' ? markdown : readFileSync(where, 'utf8')).has(anchor)) problems.push(`${name}: no heading with that anchor`);
    }
  }
  return problems;
}

describe('the link check itself', () => {
  it('finds missing files and anchors, and ignores code and absolute URLs', () => {
    const text = [
      '# A page',
      '## Speed (full CTR-GCN, one thread)',
      '[ok](#a-page) [ok too](#speed-full-ctr-gcn-one-thread) [missing anchor](#nope)',
      '[readme](../README.md) [gone](gone.md) ![picture](ablation/none.svg) [not markdown](../package.json#x)',
      '[web](https://example.org/x) `[x](code-span.md)`',
      '```md\n[in a fence](fenced.md)\n```',
    ].join('\n');
    expect(headingAnchors(text)).toEqual(new Set(['a-page', 'speed-full-ctr-gcn-one-thread']));
    expect(relativeLinks(text)).toEqual(['#a-page', '#speed-full-ctr-gcn-one-thread', '#nope', '../README.md', 'gone.md', 'ablation/none.svg', '../package.json#x']);
    expect(brokenLinks(join(ROOT, 'docs', 'page.md'), text)).toEqual([
      'docs/page.md: #nope: no heading with that anchor',
      'docs/page.md: gone.md: no such file',
      'docs/page.md: ablation/none.svg: no such file',
      'docs/page.md: ../package.json#x: an anchor into something that is not a Markdown file',
    ]);
  });

  it('numbers repeated headings as GitHub does', () => {
    expect(headingAnchors('## Text\n### Text\n## `Text`!')).toEqual(new Set(['text', 'text-1', 'text-2']));
  });
});

describe('README.md and docs/', () => {
  const readme = readFileSync(README, 'utf8');

  it('the README is under 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThan(250);
  });

  it('the README opens with the two commands (CI runs the test command written there)', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1].split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(first).toEqual(['npm install && npm start', 'npm test']);
  });

  it('every relative link points to an existing file and heading', () => {
    const files = markdownFiles();
    expect(files.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', 'docs/runtime.md', 'docs/training.md']));
    const problems = files.flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('every docs page is linked from the README', () => {
    const linked = new Set(relativeLinks(readme).map((t) => t.split('#')[0]));
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
    expect(pages.length).toBeGreaterThanOrEqual(7);
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });
});
