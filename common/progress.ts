import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr with ETA and free-form fields (loss, accuracy, samples/s).
 * Off a terminal (CI, pipes) it prints a plain line every few percent instead of redrawing.
 */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  const tty = Boolean(process.stderr.isTTY);
  if (!tty) {
    const start = Date.now();
    let lastShown = -1;
    return {
      update(done, fields = {}) {
        const pct = Math.floor((100 * done) / Math.max(total, 1));
        if (pct < lastShown + 10 && done !== total) return;
        lastShown = pct;
        const elapsed = (Date.now() - start) / 1000;
        const eta = done > 0 ? (elapsed * (total - done)) / done : 0;
        const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
        process.stderr.write(`${label} ${done}/${total} (${pct}%)  ETA ${eta.toFixed(0)}s  ${extra}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} ETA {eta_formatted} {fields}`, stream: process.stderr, hideCursor: true, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { fields: '' });
  return {
    update(done, fields = {}) {
      bar.update(done, { fields: Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ') });
    },
    stop() {
      bar.stop();
    },
  };
}
