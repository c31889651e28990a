/**
 * The shipped declarations import each other with `.js` specifiers (runtime-as/dts-specifiers.ts),
 * which TypeScript 4.x resolves; the consumer test (.ci/consumer/typescript4.sh) type-checks an app
 * on TypeScript 4.9 against the packed package.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { jsSpecifiers, rewriteDeclarations } from '../../runtime-as/dts-specifiers.ts';

it('rewrites relative .ts specifiers of imports, re-exports and import types, and nothing else', () => {
  const dts = [
    "import type { Sequence } from '../sequence.ts';",
    'export * from "./index.ts";',
    "export { readRecognizerFile } from './node-load.ts';",
    "export declare function f(): import('../../common/layouts.ts').LayoutName;",
    "import './side-effect.mts';",
    "import type { A } from './a.cts';",
    // Left alone: packages, declaration files, and text that only looks like a path.
    "import type { X } from 'some-package/index.ts';",
    "import type { Y } from './types.d.ts';",
    '/** Reads `./recording.ts` from disk. */',
  ].join('\n');
  expect(jsSpecifiers(dts).split('\n')).toEqual([
    "import type { Sequence } from '../sequence.js';",
    'export * from "./index.js";',
    "export { readRecognizerFile } from './node-load.js';",
    "export declare function f(): import('../../common/layouts.js').LayoutName;",
    "import './side-effect.mjs';",
    "import type { A } from './a.cjs';",
    "import type { X } from 'some-package/index.ts';",
    "import type { Y } from './types.d.ts';",
    '/** Reads `./recording.ts` from disk. */',
  ]);
});

it('rewrites every .d.ts under a folder, and leaves the .js alone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cocodiff-dts-'));
  try {
    await mkdir(join(dir, 'host'));
    await writeFile(join(dir, 'host', 'node.d.ts'), "export * from './index.ts';\n");
    await writeFile(join(dir, 'host', 'node.js'), "export * from './index.ts';\n");
    expect(await rewriteDeclarations(dir)).toBe(1);
    expect(await readFile(join(dir, 'host', 'node.d.ts'), 'utf8')).toBe("export * from './index.js';\n");
    expect(await readFile(join(dir, 'host', 'node.js'), 'utf8')).toBe("export * from './index.ts';\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
