/**
 * The headless Chromium that `cocodiff video` runs BlazePose in, and that the browser tests and the
 * webcam page's screenshot drive: where to find it and the flags it runs with, in one place.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { printable } from './terminal.ts';

/** Flags that keep a headless Chromium from reaching out (updates, sync, QUIC probes) and work as root in a container. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Names a Chromium goes by on PATH, most likely first. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The environment variable that names the Chromium to use, when --chromium does not. */
export const CHROMIUM_ENV = 'COCODIFF_CHROMIUM';

export const CHROMIUM_HINT = `install Chromium (Debian/Ubuntu: apt-get install chromium) or give its path with --chromium or ${CHROMIUM_ENV}`;

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Chromium to run: `given` (--chromium), else $COCODIFF_CHROMIUM, else the first of the usual names on PATH. */
export function findChromium(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = given ?? env[CHROMIUM_ENV];
  if (chosen) {
    if (!executable(chosen)) throw new UserError(`${printable(chosen)}: no Chromium there (not an executable file); ${CHROMIUM_HINT}`);
    return chosen;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CHROMIUM_NAMES) if (executable(join(dir, name))) return join(dir, name);
  }
  throw new UserError(`no Chromium found on PATH (looked for ${CHROMIUM_NAMES.join(', ')}): cocodiff video runs BlazePose in a headless Chromium; ${CHROMIUM_HINT}`);
}

/** The Chromium findChromium() would run, or null when there is none (tests skip, saying so). */
export function chromiumOrNull(): string | null {
  try {
    return findChromium();
  } catch {
    return null;
  }
}
