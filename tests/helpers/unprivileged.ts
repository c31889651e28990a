/**
 * Root is not stopped by a folder's mode, so a test of "a folder the user may not write" runs its
 * command as `nobody` when the suite runs as root. That user must be able to read the checkout: a
 * clone in a private temporary folder (mode 0700, as a CI runner may make) is out of its reach, and
 * such a test is then skipped (shown as skipped, not passed).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const NOBODY = { uid: 65534, gid: 65534 };

function nobodyCanRunTheCli(): boolean {
  const probe = `const fs = require('node:fs'); for (const f of ${JSON.stringify([join(ROOT, 'bin/cocodiff.js'), join(ROOT, 'node_modules/tsx/package.json')])}) fs.accessSync(f, fs.constants.R_OK);`;
  return spawnSync(process.execPath, ['-e', probe], NOBODY).status === 0;
}

/** Spawn options that run a command without root's rights: {} when the suite is not root, null when it cannot. */
export const UNPRIVILEGED: { uid?: number; gid?: number } | null =
  process.getuid?.() !== 0 ? {} : nobodyCanRunTheCli() ? NOBODY : null;
