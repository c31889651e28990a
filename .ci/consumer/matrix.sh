#!/usr/bin/env bash
# The command matrix: every command a user chains, run through the installed CLI on the previous
# command's real output (a tiny model and one epoch, so it stays fast):
#   synth → inspect; .skeleton files → prepare ntu → inspect; train → eval → compare → export →
#   compile (f32, f16, relaxed SIMD) → run → stream (recording, NDJSON) → learn → run/stream --learned → bench → export-onnx;
#   a PyTorch .pt → import-ctrgcn → compile → run; the runtime's load by path, URL and bytes + sidecar;
#   a .wasm beside another model's .json refused; hostile checkpoints, a recording that is /dev/zero,
#   outputs over the user's files, and the failures the issue-26 sweep found, refused, each in one line.
# Run from the consumer project (the tarballs installed): bash matrix.sh REPO
set -euo pipefail
repo="$1"
here="$repo/.ci/consumer"
fail() { echo "command matrix: $*" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# One step: the command's output kept in $log, shown only when it fails; `expect PATTERN` checks it.
step() { echo "  \$ cocodiff $*" >&2; npx --no-install cocodiff "$@" > "$log" 2>&1 || { cat "$log" >&2; fail "failed: cocodiff $*"; }; }
expect() { grep -Eq "$1" "$log" || { cat "$log" >&2; fail "expected /$1/ in the output of the last step"; }; }
exists() { for f in "$@"; do [ -s "$f" ] || fail "missing or empty: $f"; done; }

step synth --out data --classes 3 --per-class 6 --seed 1
step inspect data
expect 'ntu25'
node "$here/write-skeletons.mjs" raw
step inspect raw/S001C001P001R001A002.skeleton --json
node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (j.frames !== 40 || j.joints !== 25) { console.error(j); process.exit(1); }' "$log"
step prepare ntu --raw raw --benchmark xsub --out ntu --threads 0
step inspect ntu
expect 'ntu25'

model=(--width 0.125 --blocks 2 --frames 16 --batch 8)
step train --data data --out run --preset synth-quick --epochs 1 --val-fraction 0 --backend wasm --quiet --seed 1 "${model[@]}"
exists run/metrics.jsonl run/curves.svg run/confusion.svg run/artifact/model.json
step eval run --data data --out eval --backend wasm
expect 'top-1'
exists eval/confusion.svg eval/confusion.json eval/predictions.jsonl run/predictions.jsonl
# The run's own test answers and eval's of the same model: paired, they cannot differ.
step compare run eval
expect 'top-1: ([0-9.]+) → \1 %, B − A \+0\.00 points'
step export run --out artifact --epoch last
exists artifact/model.json artifact/weights.bin

node "$here/write-recording.mjs" recording.npy recording.json
for variant in "f32:" "f16:--weights f16" "relaxed:--relaxed-simd"; do
  name="${variant%%:*}"
  # shellcheck disable=SC2086 # the variant's flags are words
  step compile artifact -o "$name.wasm" ${variant#*:}
  exists "$name.wasm" "$name.json"
  step run "$name.wasm" --input recording.npy --json
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!r.top?.[0]?.label) { console.error(r); process.exit(1); }' "$log"
done
step stream f32.wasm --input recording.npy --no-realtime --stride 8
expect '(clap|wave|raise)'
node -e '
  const frame = (t) => JSON.stringify({ t: t * 33.3, layout: "ntu25", bodies: [Array.from({ length: 25 }, (_, v) => [0.1 * Math.sin(t / 4 + v), 0.9 - 0.07 * v, 3])] });
  for (let t = 0; t < 24; t++) console.log(frame(t));' > frames.ndjson
npx --no-install cocodiff stream f32.wasm --input - --stride 8 < frames.ndjson > "$log" 2>&1 || { cat "$log" >&2; fail "stream from NDJSON on stdin"; }
[ "$(grep -Ec '(clap|wave|raise)' "$log")" -ge 3 ] || { cat "$log" >&2; fail "stream from NDJSON: expected a prediction every 8 of 24 frames"; }
# A gesture taught from a recording (learn → learned.json) is scored by run and stream with --learned.
step learn f32.wasm --name "arms up" --input recording.npy -o learned.json
exists learned.json
step run f32.wasm --input recording.npy --learned learned.json --json
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (r.top?.[0]?.label !== "arms up") { console.error(r); process.exit(1); }' "$log"
step stream f32.wasm --input recording.npy --learned learned.json --no-realtime --stride 8
expect 'arms up'
step bench artifact --runs 3 --skip-cpu
expect 'stream'
step export-onnx artifact -o model.onnx
exists model.onnx

step import-ctrgcn "$repo/tests/fixtures/pytorch/state-dict.pt" --out imported --frames 16
step compile imported -o imported.wasm
step run imported.wasm --input raw/S001C002P003R001A001.skeleton
expect '^ +1\. '

# Copied in, so that `cocodiff-runtime` resolves to the installed package, as in an app.
cp "$here/load-forms.mjs" .
echo "  load forms: $(node load-forms.mjs f32.wasm recording.npy)" >&2

# Hostile files and careless paths, through the installed CLI: each is one line naming the cause, exit 1,
# and nothing of the user's is replaced.
refused() { # PATTERN, then the command's arguments
  local pattern="$1"; shift
  if npx --no-install cocodiff "$@" > "$log" 2>&1; then fail "accepted: cocodiff $*"; fi
  expect "$pattern"
  [ "$(wc -l < "$log")" -eq 1 ] || { cat "$log" >&2; fail "more than one line (a stack?) from: cocodiff $*"; }
  echo "  refused: cocodiff $*" >&2
}
node "$here/write-hostile.mjs" .
refused 'negative-length\.pt:archive/data\.pkl: a negative length' import-ctrgcn negative-length.pt --out hostile1
refused 'huge-member\.pt: member "archive/data\.pkl" claims 4294967280 bytes' import-ctrgcn huge-member.pt --out hostile2
ln -s /dev/zero endless.npy
refused 'endless\.npy: .*not a regular file' run f32.wasm --input endless.npy
echo 'my notes' > notes.json
refused 'notes\.json: exists and is not a' compile artifact -o notes.wasm
[ "$(cat notes.json)" = 'my notes' ] || fail "compile replaced the user's notes.json"
mkdir thesis && echo 'mine' > thesis/chapter1.tex
refused 'thesis: holds files cocodiff did not write there \(chapter1\.tex\)' train --data data --out thesis --preset synth-quick --epochs 1 --backend wasm --quiet "${model[@]}"
[ "$(ls thesis)" = 'chapter1.tex' ] || fail "train wrote into the user's folder"

# From the issue-26 sweep (docs/hostile-sweep.md): a checkpoint that is a FIFO (waited on forever before),
# an output path through a file (an internal EEXIST error before), a folder of .skeleton files none of
# which can be used (named nothing before), a Kinetics clip with a UTF-8 byte-order mark (refused before),
# and a lock left by a dead writer whose PID now names another process (refused before).
mkfifo pipe.pt
refused 'pipe\.pt: cannot read the checkpoint \(a FIFO \(named pipe\), not a regular file\)' import-ctrgcn pipe.pt --out hostile3
touch plain-file
refused 'plain-file/cache: cannot write the dataset cache: a part of the path is a file, not a directory \(ENOTDIR\)' synth --out plain-file/cache --classes 1 --per-class 2
mkdir renamed && cp raw/S001C001P001R001A001.skeleton renamed/my-recording.skeleton
refused 'renamed: none of its 1 \.skeleton files can be cached \(skipped: 1 name not SsssCcccPpppRrrrAaaa\)' prepare ntu --raw renamed --benchmark xsub --out hostile4 --threads 0
node -e 'const fs = require("fs"); fs.writeFileSync("bom.json", "\ufeff" + JSON.stringify({ data: [1, 2].map((i) => ({ frame_index: i, skeleton: [{ pose: Array.from({ length: 36 }, (_, j) => 0.1 + j / 100), score: Array(18).fill(0.9) }] })), label: "a", label_index: 0 }))'
step inspect bom.json
expect 'openpose18'
node -e 'console.log(JSON.stringify({ format: "cocodiff-lock", pid: 1, host: require("os").hostname(), since: "2020-01-01T00:00:00.000Z", started: "an-earlier-boot/1" }))' > run/.cocodiff-lock
step export run --out artifact2 --epoch last
expect 'took over the lock of pid 1 '
[ ! -e run/.cocodiff-lock ] || fail "export left the lock it took over"

cp f32.wasm mixed.wasm && cp imported.json mixed.json
if npx --no-install cocodiff run mixed.wasm --input recording.npy > "$log" 2>&1; then fail "a .wasm beside another model's .json was used"; fi
expect 'mixed\.json: field "wasmSha256" does not match mixed\.wasm'
echo "command matrix: passed" >&2
