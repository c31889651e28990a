/**
 * `cocodiff text`: the class descriptions CoCoDiff trains with.
 *   text check FILE|DATASET        validate a descriptions file (or a built-in one) and summarise it
 *   text import --synonyms --parts convert `label,syn...` + `label;head;hand;arm;hip;leg;foot` files
 *   text embed FILE|DATASET        encode every class once with the built-in encoder and write the
 *                                  embeddings JSON that `train --text-embeddings` reads
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.ts';
import { addTemporary, dropTemporary } from '../../common/temporaries.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { checkOutputFile, jsonKind } from '../../common/output-file.ts';
import { classTextEmbeddings } from '../../trainer/text/class-embeddings.ts';
import { BUILTIN_DATASETS, loadDescriptions, TEXT_FORMAT } from '../../trainer/text/descriptions.ts';
import { EMBEDDINGS_FORMAT } from '../../trainer/text/embeddings-file.ts';
import { importDescriptions } from '../../trainer/text/importers.ts';
import { printable } from '../../common/terminal.ts';
import { FORCE_FILE_HELP } from '../options.ts';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

const DESCRIPTIONS_FILE = jsonKind('descriptions file', TEXT_FORMAT);
const EMBEDDINGS_FILE = jsonKind('embeddings file', EMBEDDINGS_FORMAT);

export function register(program: Command): void {
  const text = program
    .command('text')
    .description('Class descriptions for CoCoDiff: check, import from other projects\' files, precompute embeddings');

  text
    .command('check')
    .description(`Validate a descriptions JSON, or a built-in one (${BUILTIN_DATASETS.join(', ')})`)
    .argument('<file-or-dataset>')
    .action(async (what: string) => {
      const d = await loadDescriptions(what);
      const coarse = d.classes.map((c) => c.coarse.length);
      console.log(`${printable(what)}: ${printable(d.dataset)}, ${d.classes.length} classes, ${Math.min(...coarse)}–${Math.max(...coarse)} coarse phrases per class, all six body parts described`);
    });

  text
    .command('import')
    .description('Build a descriptions JSON from a `label,syn1, syn2, ...` file and a `label;head;hand;arm;hip;leg;foot` file')
    .requiredOption('--synonyms <file>', 'one class per line: label,synonym, synonym, ...')
    .requiredOption('--parts <file>', 'one class per line: label;head;hand;arm;hip;leg;foot')
    .requiredOption('--out <file>', 'descriptions JSON to write')
    .option('--dataset <name>', 'dataset name stored in the file', 'custom')
    .option('--classes <file>', 'class names, one per line: keep exactly these, in this order (default: the parts file\'s)')
    .option('--force', FORCE_FILE_HELP)
    .action(async (f: { synonyms: string; parts: string; out: string; dataset: string; classes?: string; force?: boolean }) => {
      await checkOutputFile(f.out, DESCRIPTIONS_FILE, f.force);
      const classes = f.classes ? await readClassList(f.classes) : undefined;
      const d = await importDescriptions({ synonymsFile: f.synonyms, partsFile: f.parts, dataset: f.dataset, classes });
      await checkOutputFile(f.out, DESCRIPTIONS_FILE, f.force);
      await writeFileAtomic(f.out, JSON.stringify(d, null, 2) + '\n');
      console.log(`${printable(f.out)}: ${d.classes.length} classes`);
    });

  text
    .command('embed')
    .description('Encode each class\'s coarse and fine text with the built-in Universal Sentence Encoder lite; writes {dim, classes: {label: {coarse, fine}}}')
    .argument('<file-or-dataset>', 'descriptions JSON or built-in dataset')
    .requiredOption('--out <file>', 'embeddings JSON to write')
    .option('--force', FORCE_FILE_HELP)
    .action(async (what: string, f: { out: string; force?: boolean }) => {
      await checkOutputFile(f.out, EMBEDDINGS_FILE, f.force);
      const d = await loadDescriptions(what);
      const labels = d.classes.map((c) => c.label);
      // The phrase cache lives in a scratch folder: this command's output is the cache.
      const scratch = await mkdtemp(join(tmpdir(), 'cocodiff-embed-'));
      addTemporary(scratch);
      try {
        const e = await classTextEmbeddings({ classes: labels, runDir: scratch, textFile: what });
        const row = (a: Float32Array, k: number) => Array.from(a.subarray(k * e.dim, (k + 1) * e.dim));
        const classes = Object.fromEntries(labels.map((l, k) => [l, { coarse: row(e.coarse, k), fine: row(e.fine, k) }]));
        await checkOutputFile(f.out, EMBEDDINGS_FILE, f.force);
        await writeFileAtomic(f.out, JSON.stringify({ format: EMBEDDINGS_FORMAT, dim: e.dim, classes }) + '\n');
        console.log(`${printable(f.out)}: ${labels.length} classes × ${e.dim}-d coarse and fine vectors`);
      } finally {
        await rm(scratch, { recursive: true, force: true });
        dropTemporary(scratch);
      }
    });
}

async function readClassList(file: string): Promise<string[]> {
  const text = await readInputText(file, 'the class list');
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError(`${file}: no class names`);
  return names;
}
