/**
 * A small SVG writer for the run's plots: line charts and a labelled confusion matrix.
 * Plain strings, no dependencies; the files open in any browser or image viewer.
 */

export interface Series {
  label: string;
  colour: string;
  /** [x, y] points; non-finite y values are gaps. */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise fitted to the data. */
  yRange?: [number, number];
  /** Where the legend goes: top right (default) or bottom right, clear of rising accuracy curves. */
  legend?: 'top' | 'bottom';
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Tick values: 5 or so round numbers covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** One chart as an SVG group at (x0, y0) of the given size. */
function chartGroup(c: Chart, x0: number, y0: number, w: number, h: number): string {
  const pad = { l: 52, r: 12, t: 28, b: 40 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const all = c.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xLo = xs.length ? Math.min(...xs) : 0;
  const xHi = xs.length ? Math.max(...xs) : 1;
  let [yLo, yHi] = c.yRange ?? [ys.length ? Math.min(0, ...ys) : 0, ys.length ? Math.max(...ys) : 1];
  if (yHi <= yLo) yHi = yLo + 1;
  const sx = (x: number): number => x0 + pad.l + (xHi > xLo ? ((x - xLo) / (xHi - xLo)) * pw : pw / 2);
  const sy = (y: number): number => y0 + pad.t + ph - ((y - yLo) / (yHi - yLo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + pad.l + pw / 2}" y="${y0 + 18}" text-anchor="middle" font-size="14" ${FONT}>${escapeXml(c.title)}</text>`);
  const yTicks = ticks(yLo, yHi);
  const decimals = yTicks.length > 1 ? Math.max(0, -Math.floor(Math.log10(yTicks[1] - yTicks[0]) + 1e-9)) : 0;
  for (const t of yTicks) {
    parts.push(`<line x1="${x0 + pad.l}" x2="${x0 + pad.l + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 + pad.l - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11" ${FONT}>${t.toFixed(decimals)}</text>`);
  }
  for (const t of ticks(xLo, xHi).filter((v) => Number.isInteger(v))) {
    parts.push(`<text x="${sx(t)}" y="${y0 + pad.t + ph + 16}" text-anchor="middle" font-size="11" ${FONT}>${t}</text>`);
  }
  parts.push(`<rect x="${x0 + pad.l}" y="${y0 + pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${x0 + pad.l + pw / 2}" y="${y0 + h - 6}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(c.xLabel)}</text>`);
  parts.push(`<text transform="translate(${x0 + 14},${y0 + pad.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(c.yLabel)}</text>`);
  const labelled = c.series.filter((s) => s.label !== '');
  // Wide enough for the longest label at about 6 px per character of 11 px Helvetica.
  const lx = x0 + pad.l + pw - Math.max(110, 32 + 6 * Math.max(0, ...labelled.map((l) => l.label.length)));
  c.series.forEach((s) => {
    // Split at gaps so a missing value does not draw a misleading line.
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (Number.isFinite(y)) runs[runs.length - 1].push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      else runs.push([]);
    }
    for (const r of runs.filter((r) => r.length > 0)) {
      const dash = s.dashed ? ' stroke-dasharray="5,3"' : '';
      parts.push(r.length === 1
        ? `<circle cx="${r[0].split(',')[0]}" cy="${r[0].split(',')[1]}" r="2.5" fill="${s.colour}"/>`
        : `<polyline points="${r.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    }
    // A series without a label (one of many alike) draws no legend entry.
    const i = labelled.indexOf(s);
    if (i < 0) return;
    const ly = c.legend === 'bottom' ? y0 + pad.t + ph - 8 - (labelled.length - 1 - i) * 16 : y0 + pad.t + 14 + i * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    parts.push(`<text x="${lx + 24}" y="${ly}" font-size="11" ${FONT}>${escapeXml(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** Charts side by side in one SVG document. */
export function chartsSvg(charts: Chart[], width = 440, height = 300): string {
  const body = charts.map((c, i) => chartGroup(c, i * width, 0, width, height)).join('\n');
  const w = width * charts.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${height}" viewBox="0 0 ${w} ${height}">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

/**
 * A confusion matrix: rows are true classes, columns predictions, each cell shaded by the fraction
 * of its row, with the count written in it when the cells are large enough to read.
 */
export function confusionSvg(confusion: number[][], classes: string[], title: string): string {
  const k = classes.length;
  const cell = Math.max(8, Math.min(36, Math.floor(720 / k)));
  const labelW = Math.min(220, 12 + 6.5 * Math.max(...classes.map((c) => c.length)));
  const top = 40 + labelW;
  const left = labelW + 30;
  const w = Math.max(left + k * cell + 20, left + 7 * title.length);
  const h = top + k * cell + 20;
  const labelFont = Math.min(12, cell - 2);
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="20" font-size="14" ${FONT}>${escapeXml(title)}</text>`);
  parts.push(`<text x="${left + (k * cell) / 2}" y="36" text-anchor="middle" font-size="12" ${FONT}>predicted</text>`);
  parts.push(`<text transform="translate(14,${top + (k * cell) / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>true class</text>`);
  classes.forEach((name, c) => {
    parts.push(`<text x="${left - 4}" y="${top + c * cell + cell / 2 + labelFont / 3}" text-anchor="end" font-size="${labelFont}" ${FONT}>${escapeXml(name)}</text>`);
    parts.push(`<text transform="translate(${left + c * cell + cell / 2 + labelFont / 3},${top - 4}) rotate(-90)" font-size="${labelFont}" ${FONT}>${escapeXml(name)}</text>`);
  });
  confusion.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, c) => {
      const frac = total ? count / total : 0;
      // Correct cells shade blue, errors red, so mistakes stand out at a glance.
      const hue = r === c ? '33,102,172' : '203,24,29';
      const fill = count === 0 ? '#fafafa' : `rgba(${hue},${(0.15 + 0.85 * frac).toFixed(3)})`;
      parts.push(`<rect x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ddd"><title>${escapeXml(`${classes[r]} → ${classes[c]}: ${count}`)}</title></rect>`);
      if (count > 0 && cell >= 18) {
        parts.push(`<text x="${left + c * cell + cell / 2}" y="${top + r * cell + cell / 2 + 4}" text-anchor="middle" font-size="${Math.min(11, cell / 2.5)}" fill="${frac > 0.5 ? 'white' : 'black'}" ${FONT}>${count}</text>`);
      }
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** Rows of the confusion list drawn when there are too many classes for the matrix. */
export const CONFUSION_LIST_ROWS = 40;

/**
 * For more classes than a matrix can show (10,000 classes: 10^8 cells), the most frequent
 * confusions as a list: "true → predicted: count", from the matrix's non-zero off-diagonal cells.
 */
export function confusionListSvg(cells: ReadonlyArray<{ true: number; predicted: number; count: number }>, classes: string[], title: string): string {
  const errors = cells.filter((c) => c.true !== c.predicted);
  const shown = errors.slice(0, CONFUSION_LIST_ROWS);
  const line = 18;
  const lines = [
    `${classes.length} classes: too many for a matrix; the ${shown.length} most frequent of ${errors.length} confusions (true → predicted: count; all cells are in confusion.json)`,
    ...shown.map((c) => `${classes[c.true]} → ${classes[c.predicted]}: ${c.count}`),
  ];
  const w = Math.min(2000, 20 + 7 * Math.max(title.length, ...lines.map((l) => l.length)));
  const h = 40 + line * (lines.length + 1);
  const body = [
    `<text x="10" y="20" font-size="14" ${FONT}>${escapeXml(title)}</text>`,
    ...lines.map((l, i) => `<text x="10" y="${40 + line * (i + 1)}" font-size="12" ${FONT}>${escapeXml(l)}</text>`),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}
