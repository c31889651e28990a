/**
 * The ablation's pictures. The paired chart: one panel per variant against the baseline, each seed a
 * dot in both columns joined by a line (so a paired gain shows as lines rising left to right), the
 * means as bars. The validation curves: whether every run trained long enough to flatten out.
 */
import { chartsSvg, escapeXml, type Series } from '../train/svg.ts';
import { pairedDifference } from './stats-paired.ts';

export interface SeedPoint {
  variant: string;
  seed: number;
  testTop1: number;
}

export function pairedChartSvg(runs: SeedPoint[], order: string[], baseline: string): string {
  const font = 'font-family="Helvetica, Arial, sans-serif"';
  const values = (name: string) => new Map(runs.filter((r) => r.variant === name).map((r) => [r.seed, 100 * r.testTop1]));
  const base = values(baseline);
  const others = order.filter((n) => n !== baseline && runs.some((r) => r.variant === n));
  const all = runs.map((r) => 100 * r.testTop1);
  const lo = all.length ? Math.floor(Math.min(...all) / 5) * 5 : 0;
  const hi = all.length ? Math.max(lo + 5, Math.ceil(Math.max(...all) / 5) * 5) : 100;
  const panelW = 170;
  const left = 55;
  const top = 50;
  const plotH = 300;
  const width = Math.max(480, left + Math.max(1, others.length) * panelW + 20);
  const height = top + plotH + 76;
  const sy = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" ${font}>Test top-1 (%) per seed</text>`,
    `<text x="${width / 2}" y="37" text-anchor="middle" font-size="11" fill="#555" ${font}>in each panel: baseline (left) and variant (right); a line joins one seed; bars are means</text>`,
  ];
  for (let v = lo; v <= hi; v += 5) {
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${font}>${v}</text>`);
  }
  others.forEach((name, p) => {
    const x0 = left + p * panelW + 40;
    const x1 = x0 + panelW - 80;
    const mine = values(name);
    const mean = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0) / Math.max(1, m.size);
    for (const [seed, v] of mine) {
      const b = base.get(seed);
      if (b !== undefined) {
        const colour = v > b ? '#2a7d2a' : v < b ? '#b53a3a' : '#888888';
        parts.push(`<line x1="${x0}" y1="${sy(b).toFixed(1)}" x2="${x1}" y2="${sy(v).toFixed(1)}" stroke="${colour}" stroke-opacity="0.6"/>`);
      }
      parts.push(`<circle cx="${x1}" cy="${sy(v).toFixed(1)}" r="3" fill="#4a7fb5"><title>${escapeXml(name)}, seed ${seed}: ${v.toFixed(1)} %</title></circle>`);
    }
    for (const [seed, b] of base) {
      if (mine.has(seed)) parts.push(`<circle cx="${x0}" cy="${sy(b).toFixed(1)}" r="3" fill="#777777"><title>baseline, seed ${seed}: ${b.toFixed(1)} %</title></circle>`);
    }
    const paired = new Map([...base].filter(([s]) => mine.has(s)));
    if (paired.size) parts.push(`<line x1="${x0 - 12}" x2="${x0 + 12}" y1="${sy(mean(paired)).toFixed(1)}" y2="${sy(mean(paired)).toFixed(1)}" stroke="#222" stroke-width="2.5"/>`);
    if (mine.size) parts.push(`<line x1="${x1 - 12}" x2="${x1 + 12}" y1="${sy(mean(mine)).toFixed(1)}" y2="${sy(mean(mine)).toFixed(1)}" stroke="#222" stroke-width="2.5"/>`);
    parts.push(`<text x="${(x0 + x1) / 2}" y="${top + plotH + 20}" text-anchor="middle" font-size="12" ${font}>${escapeXml(name)}</text>`);
    const d = pairedDifference(base, mine);
    const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
    parts.push(`<text x="${(x0 + x1) / 2}" y="${top + plotH + 36}" text-anchor="middle" font-size="11" fill="#555" ${font}>${mine.size} seeds, Δ ${d.n > 0 ? signed(d.mean) : 'n/a'}</text>`);
    if (d.n > 1) parts.push(`<text x="${(x0 + x1) / 2}" y="${top + plotH + 52}" text-anchor="middle" font-size="11" fill="#555" ${font}>95 % CI [${signed(d.low)}, ${signed(d.high)}]</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface SeedCurve {
  variant: string;
  seed: number;
  /** Validation top-1 (0…1) after each epoch; null where a run had no validation. */
  valCurve: Array<number | null>;
}

const VARIANT_COLOURS = ['#333333', '#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd'];

/** Mean validation top-1 by epoch per variant, and the baseline's curve seed by seed (grey, one legend entry). */
export function validationCurvesSvg(runs: SeedCurve[], order: string[], baseline: string): string {
  const curve = (values: Array<number | null>): Array<[number, number]> => values.map((v, i) => [i + 1, v === null ? NaN : 100 * v]);
  const meanCurve = (group: SeedCurve[]): Array<number | null> => {
    const epochs = Math.max(0, ...group.map((r) => r.valCurve.length));
    return Array.from({ length: epochs }, (_, e) => {
      const at = group.map((r) => r.valCurve[e]).filter((v): v is number => v !== null && v !== undefined);
      return at.length ? at.reduce((a, b) => a + b, 0) / at.length : null;
    });
  };
  const present = order.filter((name) => runs.some((r) => r.variant === name));
  const means: Series[] = present.map((name) => {
    const group = runs.filter((r) => r.variant === name);
    return { label: `${name} (${group.length})`, colour: VARIANT_COLOURS[order.indexOf(name) % VARIANT_COLOURS.length], points: curve(meanCurve(group)) };
  });
  const seeds: Series[] = runs
    .filter((r) => r.variant === baseline)
    .sort((a, b) => a.seed - b.seed)
    .map((r, i, all) => ({ label: i === 0 ? `${all.length} seeds` : '', colour: '#555555', points: curve(r.valCurve) }));
  return chartsSvg(
    [
      { title: 'validation top-1, mean over seeds', xLabel: 'epoch', yLabel: 'top-1 (%)', yRange: [0, 100], series: means, legend: 'bottom' },
      { title: `${baseline}: validation top-1 per seed`, xLabel: 'epoch', yLabel: 'top-1 (%)', yRange: [0, 100], series: seeds, legend: 'bottom' },
    ],
    520,
    340,
  );
}
