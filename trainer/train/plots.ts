/** The run's pictures: training curves from the epoch metrics, and a confusion matrix. */
import { writeFileAtomic } from '../../common/atomic.ts';
import type { EpochMetrics } from './config.ts';
import { PREDICTIONS_FILE } from './predictions-file.ts';
import type { ClassificationReport } from './metrics.ts';
import { chartsSvg, confusionListSvg, confusionSvg } from './svg.ts';

const TRAIN = '#1f77b4';
const VAL = '#d62728';

export function curvesSvg(history: EpochMetrics[]): string {
  const pts = (f: (m: EpochMetrics) => number | undefined): Array<[number, number]> => history.map((m) => [m.epoch, f(m) ?? NaN]);
  return chartsSvg([
    {
      title: 'loss',
      xLabel: 'epoch',
      yLabel: 'cross-entropy',
      series: [
        { label: 'train (total)', colour: TRAIN, points: pts((m) => m.loss) },
        { label: 'train (CE real)', colour: TRAIN, points: pts((m) => m.ceReal), dashed: true },
        { label: 'validation', colour: VAL, points: pts((m) => m.valLoss) },
      ],
    },
    {
      title: 'top-1 accuracy',
      xLabel: 'epoch',
      yLabel: 'top-1',
      yRange: [0, 1],
      series: [
        { label: 'train', colour: TRAIN, points: pts((m) => m.trainTop1) },
        { label: 'validation', colour: VAL, points: pts((m) => m.valTop1) },
      ],
    },
  ]);
}

/** What `eval --out` writes into its folder: writeConfusion's two files and writePredictions's. */
export const EVAL_FILES = ['confusion.svg', 'confusion.json', PREDICTIONS_FILE] as const;

/**
 * Writes confusion.svg and confusion.json (matrix, per-class accuracy, top-1/top-5) into `dir`.
 * Above CONFUSION_MATRIX_CLASSES classes the JSON holds the non-zero cells instead of the matrix
 * (`confusion: null`, `cells: [{ true, predicted, count }]`) and the SVG lists the top confusions.
 * `about` adds fields to the JSON that say what was scored (an ensemble's members and rule).
 */
export async function writeConfusion(dir: string, report: ClassificationReport, classes: string[], title: string, about: Record<string, unknown> = {}): Promise<void> {
  const pct = (v: number): string => (100 * v).toFixed(1);
  const heading = `${title}: top-1 ${pct(report.top1)} %, top-5 ${pct(report.top5)} %`;
  await writeFileAtomic(`${dir}/confusion.svg`, report.confusion ? confusionSvg(report.confusion, classes, heading) : confusionListSvg(report.cells, classes, heading));
  const perClass = Object.fromEntries(classes.map((c, i) => [c, Number.isNaN(report.perClass[i]) ? null : report.perClass[i]]));
  const matrix = report.confusion ? { confusion: report.confusion } : { confusion: null, cells: report.cells };
  await writeFileAtomic(`${dir}/confusion.json`, JSON.stringify({ ...about, classes, samples: report.samples, top1: report.top1, top5: report.top5, perClass, ...matrix }, null, 1) + '\n');
}
