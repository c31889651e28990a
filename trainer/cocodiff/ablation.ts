/**
 * The paper's ablation: baseline; + diffusion without text; + fine text; + coarse text; + both.
 * Each variant is trained with several seeds through the ordinary training loop; the table reports
 * test top-1 at the last epoch (mean ± sample std over seeds), the best epoch's top-1, wall time and
 * time per step. Results are appended to OUT/ablation.json after every run, so an interrupted ablation
 * continues where it stopped (a half-finished run is resumed from its last checkpoint).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.ts';
import { UserError } from '../../common/errors.ts';
import type { BackendName } from '../backend.ts';
import type { PresetName } from '../train/config.ts';
import { escapeXml } from '../train/svg.ts';
import { runTraining, type TrainResult } from '../train/train.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from './types.ts';

export interface Variant {
  name: string;
  /** The `cocodiff train` flags this variant corresponds to. */
  flags: string;
  cocodiff: CoCoDiffOptions | null;
}

const on = (o: Partial<CoCoDiffOptions>): CoCoDiffOptions => ({ ...DEFAULT_COCODIFF_OPTIONS, ...o });

export const VARIANTS: readonly Variant[] = [
  { name: 'baseline', flags: '', cocodiff: null },
  { name: '+diffusion (no text)', flags: '--cocodiff --no-fine-text --no-coarse-text', cocodiff: on({ fineText: false, coarseText: false }) },
  { name: '+fine text', flags: '--cocodiff --no-coarse-text', cocodiff: on({ coarseText: false }) },
  { name: '+coarse text', flags: '--cocodiff --no-fine-text', cocodiff: on({ fineText: false }) },
  { name: '+both (CoCoDiff)', flags: '--cocodiff', cocodiff: on({}) },
];

export interface AblationOptions {
  data: string;
  out: string;
  seeds: number;
  preset?: PresetName;
  epochs?: number;
  batch?: number;
  backend?: BackendName;
  /** Names (or 0-based indices) of the variants to run; default all. */
  variants?: string[];
  /** Overrides applied to every CoCoDiff variant (e.g. a smaller denoiser). */
  cocodiff?: Partial<CoCoDiffOptions>;
  textFile?: string;
  embeddingsFile?: string;
  log?: (line: string) => void;
}

export interface RunRecord {
  variant: string;
  seed: number;
  lastTop1: number;
  bestTop1: number;
  wallSeconds: number;
  msPerStep: number;
  runDir: string;
}

export interface AblationReport {
  format: 'cocodiff-ablation';
  version: 1;
  data: string;
  preset: string | null;
  epochs: number | null;
  seeds: number;
  runs: RunRecord[];
}

export interface Row {
  variant: string;
  flags: string;
  n: number;
  top1: Stat;
  best: Stat;
  wall: Stat;
  msPerStep: Stat;
}

export interface Stat {
  mean: number;
  std: number;
}

export function selectVariants(names?: string[]): Variant[] {
  if (!names || names.length === 0) return [...VARIANTS];
  return names.map((n) => {
    const v = /^\d+$/.test(n) ? VARIANTS[Number(n)] : VARIANTS.find((x) => x.name === n || slug(x.name) === slug(n));
    if (!v) throw new UserError(`--variants: unknown variant "${n}"; expected one of ${VARIANTS.map((x, i) => `${i} (${slug(x.name)})`).join(', ')}`);
    return v;
  });
}

export async function runAblation(o: AblationOptions): Promise<AblationReport> {
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new UserError(`--seeds: expected a positive integer, found ${o.seeds}`);
  const variants = selectVariants(o.variants);
  const log = o.log ?? (() => {});
  const reportFile = join(o.out, 'ablation.json');
  const report: AblationReport = existsSync(reportFile)
    ? (JSON.parse(await readFile(reportFile, 'utf8')) as AblationReport)
    : { format: 'cocodiff-ablation', version: 1, data: o.data, preset: o.preset ?? null, epochs: o.epochs ?? null, seeds: o.seeds, runs: [] };
  report.seeds = Math.max(report.seeds, o.seeds); // a continued ablation may add seeds
  // Seeds outermost: an ablation stopped early still has every variant at the first seeds.
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const v of variants) {
      if (report.runs.some((r) => r.variant === v.name && r.seed === seed)) continue;
      const runDir = join(o.out, slug(v.name), `seed-${seed}`);
      const resume = existsSync(join(runDir, 'checkpoints', 'last', 'state.json'));
      log(`ablate: ${v.name}, seed ${seed}${resume ? ' (resuming)' : ''} → ${runDir}`);
      const r: TrainResult = await runTraining({
        data: o.data,
        out: runDir,
        preset: o.preset,
        epochs: o.epochs,
        batch: o.batch,
        seed,
        backend: o.backend,
        cocodiff: v.cocodiff ? { ...v.cocodiff, ...o.cocodiff, fineText: v.cocodiff.fineText, coarseText: v.cocodiff.coarseText } : undefined,
        textFile: o.textFile,
        embeddingsFile: o.embeddingsFile,
        resume,
        quiet: true,
      });
      report.runs.push({ variant: v.name, seed, lastTop1: r.lastTop1, bestTop1: r.bestTop1, wallSeconds: r.wallSeconds, msPerStep: r.msPerStep, runDir: r.runDir });
      log(`ablate: ${v.name}, seed ${seed}: test top-1 ${(100 * r.lastTop1).toFixed(1)} % (best ${(100 * r.bestTop1).toFixed(1)} %), ${r.wallSeconds.toFixed(0)} s, ${r.msPerStep.toFixed(0)} ms/step`);
      await writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
      await writeTables(o.out, report);
    }
  }
  return report;
}

/** Writes ablation.md and ablation.svg from the runs so far. */
export async function writeTables(out: string, report: AblationReport): Promise<Row[]> {
  const rows = summarise(report);
  await writeFileAtomic(join(out, 'ablation.md'), markdownTable(rows, report));
  await writeFileAtomic(join(out, 'ablation.svg'), barChartSvg(rows));
  return rows;
}

export function summarise(report: AblationReport): Row[] {
  return VARIANTS.flatMap((v) => {
    const runs = report.runs.filter((r) => r.variant === v.name);
    if (runs.length === 0) return [];
    return [{
      variant: v.name,
      flags: v.flags,
      n: runs.length,
      top1: stat(runs.map((r) => 100 * r.lastTop1)),
      best: stat(runs.map((r) => 100 * r.bestTop1)),
      wall: stat(runs.map((r) => r.wallSeconds)),
      msPerStep: stat(runs.map((r) => r.msPerStep)),
    }];
  });
}

/** Mean and sample standard deviation (0 for a single value). */
export function stat(xs: number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

export function markdownTable(rows: Row[], report: AblationReport): string {
  const pm = (s: Stat, digits: number) => `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
  const lines = [
    `Ablation on \`${report.data}\` (preset ${report.preset ?? 'none'}, ${report.epochs ?? 'preset'} epochs, seeds 1..${report.seeds}).`,
    'Test top-1 at the last epoch and at the best epoch, mean ± std over seeds.',
    '',
    '| variant | train flags | seeds | test top-1 (%) | best top-1 (%) | wall (s) | ms/step |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.variant} | \`${r.flags || '(none)'}\` | ${r.n} | ${pm(r.top1, 1)} | ${pm(r.best, 1)} | ${r.wall.mean.toFixed(0)} | ${r.msPerStep.mean.toFixed(0)} |`),
  ];
  return lines.join('\n') + '\n';
}

/** Horizontal bars of mean test top-1 with ±std whiskers and each seed's value as a dot. */
export function barChartSvg(rows: Row[]): string {
  const font = 'font-family="Helvetica, Arial, sans-serif"';
  const left = 170;
  const plotW = 380;
  const rowH = 34;
  const top = 40;
  const height = top + rows.length * rowH + 40;
  const width = left + plotW + 70;
  const hi = Math.max(1, ...rows.map((r) => r.top1.mean + r.top1.std));
  const max = Math.min(100, Math.ceil(hi / 10) * 10);
  const sx = (v: number) => left + (Math.max(0, Math.min(max, v)) / max) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${left + plotW / 2}" y="22" text-anchor="middle" font-size="14" ${font}>Test top-1 (%), mean ± std over seeds</text>`,
  ];
  for (let v = 0; v <= max; v += max / 5) {
    parts.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${top - 6}" y2="${top + rows.length * rowH}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${sx(v)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" font-size="11" ${font}>${v.toFixed(0)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    parts.push(`<text x="${left - 8}" y="${mid + 4}" text-anchor="end" font-size="12" ${font}>${escapeXml(r.variant)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 6}" width="${(sx(r.top1.mean) - left).toFixed(1)}" height="${rowH - 12}" fill="${i === 0 ? '#9e9e9e' : '#4a7fb5'}"/>`);
    parts.push(`<line x1="${sx(r.top1.mean - r.top1.std).toFixed(1)}" x2="${sx(r.top1.mean + r.top1.std).toFixed(1)}" y1="${mid}" y2="${mid}" stroke="#222" stroke-width="1.5"/>`);
    parts.push(`<text x="${sx(r.top1.mean + r.top1.std) + 6}" y="${mid + 4}" font-size="11" ${font}>${r.top1.mean.toFixed(1)} ± ${r.top1.std.toFixed(1)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
