#!/usr/bin/env bash
# The issue-26 probe sweep (docs/reliability/sweep-issue26.md): hostile, truncated and oversized inputs,
# weird paths, concurrency, a full disk and careless use, through the INSTALLED cocodiff CLI and runtime of
# APP (made by prepare-app.sh), each probe with its expectation; one TSV row per probe: id, probe,
# expected, PASS or what went wrong, the output's start. Run by hand (about 10 minutes; as root, the
# full-disk probes mount a 600 KB tmpfs, and are skipped where that is not allowed).
#   bash .ci/sweep/probes.sh APP RESULTS.tsv [ID-REGEX]
set -uo pipefail
APP="$1"; OUT="$2"; ONLY="${3:-.}"
SW="$(cd "$(dirname "$0")" && pwd)"; REPO="$(cd "$SW/../.." && pwd)"
W="$(mktemp -d /tmp/h26-probe-XXXX)"
: > "$OUT"
# C: the installed CLI, as a command (timeout and bash -c run it), in the probe's working folder.
mkdir -p "$W/bin" && printf '#!/bin/sh\nexec "%s/node_modules/.bin/cocodiff" "$@"\n' "$APP" > "$W/bin/C" && chmod +x "$W/bin/C"
export PATH="$W/bin:$PATH"
log="$W/log"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(head -c 300 "$log" | tr '\n\t' '  ')" >> "$OUT"; echo "$1 $3 $4" >&2; }
# refuse ID PATTERN DESC -- cmd...: exit non-zero within 120 s, one line, matching PATTERN, not an internal error
refuse() {
  local id="$1" pat="$2" desc="$3"; shift 4
  [[ "$id" =~ $ONLY ]] || return 0
  (cd "$W" && timeout 120 "$@") > "$log" 2>&1; local rc=$?
  local why=""
  if [ $rc -eq 0 ]; then why="exit 0"; elif [ $rc -eq 124 ]; then why="hang"; elif grep -q 'internal error\|^    at \|node:internal\|Error:.*\n' "$log"; then why="raw error";
  elif [ "$(grep -c . "$log")" -ne 1 ]; then why="$(grep -c . "$log") lines"; elif ! grep -Eq -- "$pat" "$log"; then why="wrong words"; fi
  record "$id" "$desc" "refused /$pat/" "${why:-PASS}"
}
# ok ID DESC -- cmd...: exit 0 within 120 s
ok() {
  local id="$1" desc="$2"; shift 3
  [[ "$id" =~ $ONLY ]] || return 0
  (cd "$W" && timeout 120 "$@") > "$log" 2>&1; local rc=$?
  record "$id" "$desc" "works" "$([ $rc -eq 0 ] && echo PASS || echo "exit $rc")"
}
# check ID DESC EXPECTED -- shell: the shell snippet decides (exit 0 = PASS; its last line = why not)
check() {
  local id="$1" desc="$2" exp="$3"; shift 4
  [[ "$id" =~ $ONLY ]] || return 0
  local why; why="$(cd "$W" && timeout 300 bash -c "$*" 2>"$log.err")"; local rc=$?
  cat "$log.err" > "$log"
  record "$id" "$desc" "$exp" "$([ $rc -eq 0 ] && echo PASS || echo "${why:-exit $rc}" | tail -1)"
}
(cd "$W" && node "$SW/make-fixtures.mjs" "$REPO")
cp -r "$APP"/{f32.wasm,f32.json,artifact,run,data,recording.npy,raw} "$W"/
cd "$W"
MODEL=(--width 0.125 --blocks 2 --frames 16 --batch 8)
TR=(--preset synth-quick --epochs 1 --val-fraction 0 --backend wasm --quiet --seed 1 "${MODEL[@]}")

# ---------- checkpoints (import-ctrgcn)
refuse P01 'pt-empty\.pt' 'empty .pt' -- C import-ctrgcn "$W/pt-empty.pt" --out "$W/o1"
refuse P02 'pt-truncated\.pt' 'half of a real .pt' -- C import-ctrgcn "$W/pt-truncated.pt" --out "$W/o2"
refuse P03 'pt-garbage-pickle\.pt' 'zip with a garbage pickle' -- C import-ctrgcn "$W/pt-garbage-pickle.pt" --out "$W/o3"
refuse P04 'pt-deep-nesting\.pt' '10^6 nested lists in the pickle' -- C import-ctrgcn "$W/pt-deep-nesting.pt" --out "$W/o4"
refuse P05 'pt-memo-huge\.pt' 'memo index 2^31-1' -- C import-ctrgcn "$W/pt-memo-huge.pt" --out "$W/o5"
refuse P06 'pt-many-marks\.pt' '5 M MARK opcodes' -- C import-ctrgcn "$W/pt-many-marks.pt" --out "$W/o6"
refuse P07 'pt-unicode-long\.pt' 'BINUNICODE claiming 2 GiB' -- C import-ctrgcn "$W/pt-unicode-long.pt" --out "$W/o7"
refuse P08 'pt-not-dict\.pt' 'a pickle of one integer' -- C import-ctrgcn "$W/pt-not-dict.pt" --out "$W/o8"
refuse P09 'pt-dict-of-strings\.pt' 'a dict of strings' -- C import-ctrgcn "$W/pt-dict-of-strings.pt" --out "$W/o9"
refuse P10 'pt-count-lie\.pt' 'EOCD member count 65535 for 2' -- C import-ctrgcn "$W/pt-count-lie.pt" --out "$W/o10"
check P11 'member names with ../ (traversal)' 'refused; nothing under /tmp/evil' -- 'C import-ctrgcn "$PWD/pt-traversal.pt" --out "$PWD/o11" >/dev/null 2>&1 && { echo "exit 0"; exit 1; }; [ ! -e /tmp/evil ] || { echo "wrote /tmp/evil"; exit 1; }'
refuse P12 'pt-random\.pt' '5 KB of random bytes' -- C import-ctrgcn "$W/pt-random.pt" --out "$W/o12"
refuse P13 'pt-no-stop\.pt' 'a pickle without STOP' -- C import-ctrgcn "$W/pt-no-stop.pt" --out "$W/o13"
refuse P14 'pt-deflate-bomb\.pt' '200 MB deflated pickle (200 KB file)' -- C import-ctrgcn "$W/pt-deflate-bomb.pt" --out "$W/o14"
mkdir -p "$W/ptdir.pt"; mkfifo "$W/ptfifo.pt"
refuse P15 'ptdir\.pt.*director' 'a directory as the checkpoint' -- C import-ctrgcn "$W/ptdir.pt" --out "$W/o15"
refuse P16 'ptfifo\.pt.*FIFO' 'a FIFO as the checkpoint' -- C import-ctrgcn "$W/ptfifo.pt" --out "$W/o16"
refuse P17 'legacy' 'a legacy (non-zip) torch file' -- C import-ctrgcn "$REPO/tests/fixtures/pytorch/legacy.pt" --out "$W/o17"
# ---------- npz (prepare npz)
refuse P18 'npz-empty\.npz' 'empty .npz' -- C prepare npz --file "$W/npz-empty.npz" --out "$W/c18"
refuse P19 'npz-no-members\.npz' 'zip of nothing' -- C prepare npz --file "$W/npz-no-members.npz" --out "$W/c19"
refuse P20 'npz-huge-shape\.npz' 'x_train claiming 10^9 samples' -- C prepare npz --file "$W/npz-huge-shape.npz" --out "$W/c20"
refuse P21 'npz-fortran\.npz' 'fortran_order True' -- C prepare npz --file "$W/npz-fortran.npz" --out "$W/c21"
refuse P22 'npz-object\.npz' 'object dtype (pickled arrays)' -- C prepare npz --file "$W/npz-object.npz" --out "$W/c22"
refuse P23 'npz-label-mismatch\.npz' 'y_train with more rows than x_train' -- C prepare npz --file "$W/npz-label-mismatch.npz" --out "$W/c23"
refuse P24 'npz-zero-onehot\.npz' 'one-hot rows of all zeros' -- C prepare npz --file "$W/npz-zero-onehot.npz" --out "$W/c24"
refuse P25 'npz-header-garbage\.npz' 'npy header with code and 64 parentheses' -- C prepare npz --file "$W/npz-header-garbage.npz" --out "$W/c25"
refuse P26 'npz-nan\.npz|NaN' 'NaN samples' -- C prepare npz --file "$W/npz-nan.npz" --out "$W/c26"
# ---------- .npy recordings (run)
refuse P27 'npy-zero-frames\.npy' '0 frames' -- C run f32.wasm --input npy-zero-frames.npy
refuse P28 'npy-negative-dim\.npy' 'shape (-1, 2, 25, 3)' -- C run f32.wasm --input npy-negative-dim.npy
refuse P29 'npy-truncated\.npy' 'data shorter than the shape' -- C run f32.wasm --input npy-truncated.npy
ok     P30 'big-endian float32 (valid numpy)' -- C run f32.wasm --input npy-bigendian.npy
check P31 'int8 array (nonzero)' 'classified as numbers, or refused naming the dtype' -- 'C run f32.wasm --input npy-int8.npy > o31 2>&1; rc=$?; grep -q "internal error\|    at " o31 && { head -1 o31; exit 1; }; [ $rc = 0 ] || grep -q "npy-int8" o31 || { head -1 o31; exit 1; }'
refuse P32 'npy-6d\.npy' 'six dimensions' -- C run f32.wasm --input npy-6d.npy
refuse P33 'npy-wrong-joints' '17 joints for an ntu25 model' -- C run f32.wasm --input npy-wrong-joints.npy
refuse P34 'npy-header-len-lie\.npy' 'header length 65535' -- C run f32.wasm --input npy-header-len-lie.npy
refuse P35 'npy-huge-frames\.npy' 'shape claiming 10^9 frames' -- C run f32.wasm --input npy-huge-frames.npy
refuse P36 'no valid frame|nobody' 'all-zero recording' -- C run f32.wasm --input npy-allzero.npy
# ---------- .skeleton
refuse P37 'frames-lie' 'frame count 10^9, one frame present' -- C inspect S001C001P001R001A001-frames-lie.skeleton
refuse P38 'bodies-lie' 'body count 10^6' -- C inspect S001C001P001R001A001-bodies-lie.skeleton
refuse P39 '26joints' '26 joints' -- C inspect S001C001P001R001A001-26joints.skeleton
refuse P40 'nan\.skeleton' 'NaN and inf coordinates' -- C run f32.wasm --input S001C001P001R001A001-nan.skeleton
refuse P41 'binary\.skeleton' 'binary garbage' -- C inspect S001C001P001R001A001-binary.skeleton
refuse P42 'empty\.skeleton' 'empty file' -- C inspect S001C001P001R001A001-empty.skeleton
refuse P43 'utf16\.skeleton' 'UTF-16 file' -- C inspect S001C001P001R001A001-utf16.skeleton
refuse P44 'negative-frames\.skeleton' 'frame count -5' -- C inspect S001C001P001R001A001-negative-frames.skeleton
refuse P45 'hex\.skeleton' 'frame count 0x2' -- C inspect S001C001P001R001A001-hex.skeleton
mkdir -p raw46 && cp raw/S001C001P001R001A001.skeleton raw46/notaname.skeleton
refuse P46 'notaname|no .skeleton|SsssCccc' 'prepare ntu on files not named SsssCccc…' -- C prepare ntu --raw "$W/raw46" --benchmark xsub --out "$W/c46" --threads 0
# ---------- Kinetics JSON
refuse P47 'kin-data-not-array' '"data" an object' -- C inspect kin-data-not-array.json
refuse P48 'kin-odd-pose' 'pose of 35 values' -- C inspect kin-odd-pose.json
refuse P49 'kin-frame-index-huge' 'frame_index 10^9' -- C run f32.wasm --input kin-frame-index-huge.json
refuse P50 'kin-frame-index-negative' 'frame_index -3' -- C inspect kin-frame-index-negative.json
refuse P51 'kin-frame-index-fraction' 'frame_index 1.5' -- C inspect kin-frame-index-fraction.json
check  P52 '"__proto__" key in a clip' 'no pollution; reads' -- 'C inspect kin-proto.json --json > o52 2>&1; grep -q polluted o52 && { echo polluted; exit 1; }; exit 0'
ok     P53 'clip with a UTF-8 BOM' -- C inspect kin-bom.json
ok     P54 '1000 persons in one frame: inspect' -- C inspect kin-1000-persons.json
refuse P55 'kin-strings' 'pose values as strings' -- C inspect kin-strings.json
refuse P56 'kinetics_train_label\.json.*(label_index|1000000000)|ghost' 'label file: label_index 10^9, a video missing' -- C prepare kinetics --root "$W/kroot" --out "$W/c56" --threads 0
# ---------- NDJSON (stream -)
check P57 'NDJSON: 3 MB line without newline, then EOF' 'skipped or refused, exit promptly, one line' -- 'head -c 3000000 /dev/zero | tr "\0" "[" | C stream f32.wasm --input - --stride 8 > o57 2>&1; rc=$?; grep -q "internal error\|    at " o57 && { echo "raw error"; exit 1; }; exit 0'
check P58 'NDJSON: 1e400 coordinates (JSON Infinity)' 'frame rejected, no NaN prediction' -- 'node -e "for(let t=0;t<20;t++)console.log(JSON.stringify({bodies:[Array.from({length:25},()=>[0.1,0.2,3])]}).replace(\"0.1\",t==5?\"1e400\":\"0.1\"))" | C stream f32.wasm --input - --stride 8 > o58 2>&1; grep -E "frame +[0-9]+" o58 | grep -q NaN && { echo NaN; exit 1; }; grep -q "rejected" o58 || { echo "no rejection reported"; exit 1; }'
check P59 'NDJSON: empty stdin' 'exit 0, says no frames' -- 'C stream f32.wasm --input - < /dev/null > o59 2>&1 || { head -1 o59; exit 1; }'
check P60 'NDJSON: t going backwards, duplicate t' 'accepted or refused by line, no crash' -- 'node -e "for(let t=0;t<20;t++)console.log(JSON.stringify({t:100-t,bodies:[Array.from({length:25},(_, v)=>[0.1*v,0.2,3])]}))" | C stream f32.wasm --input - --stride 8 > o60 2>&1; grep -q "internal error\|    at " o60 && { echo raw; exit 1; }; exit 0'
check P61 'stream | head -1 (EPIPE on stdout)' 'exit 0 or 141, no stack' -- 'C stream f32.wasm --input recording.npy --no-realtime --stride 1 2>o61 | head -1 >/dev/null; grep -q "    at \|internal error" o61 && { echo stack; exit 1; }; exit 0'
check P62 'stderr closed (EPIPE on stderr)' 'no stack, no hang' -- 'C synth --out s62 --classes 1 --per-class 2 2>&1 >/dev/null | head -c 1 > /dev/null; exit 0'
# ---------- .wasm and sidecars
echo 'not wasm at all' > text.wasm
head -c 3000 f32.wasm > trunc.wasm
printf '\0asm\1\0\0\0' > empty-module.wasm
mkdir -p dir.wasm
refuse P63 'text\.wasm' 'a text file as the .wasm' -- C run text.wasm --input recording.npy
refuse P64 'trunc\.wasm' 'a truncated .wasm' -- C run trunc.wasm --input recording.npy
refuse P65 'empty-module\.wasm' 'a valid empty module' -- C run empty-module.wasm --input recording.npy
refuse P66 'dir\.wasm' 'a directory as the .wasm' -- C run dir.wasm --input recording.npy
node -e 'const s=JSON.parse(require("fs").readFileSync("f32.json","utf8")); s.classes="abc"; require("fs").writeFileSync("bad-classes.json", JSON.stringify(s))'
refuse P67 'bad-classes\.json' 'sidecar with classes "abc"' -- C run f32.wasm --input recording.npy --sidecar bad-classes.json --trust-sidecar
node -e 'require("fs").writeFileSync("deep.json", "[".repeat(100000) + "]".repeat(100000))'
refuse P68 'deep\.json' 'sidecar nested 10^5 deep' -- C run f32.wasm --input recording.npy --sidecar deep.json
refuse P69 'recording\.npy' 'a recording given as the sidecar' -- C run f32.wasm --input recording.npy --sidecar recording.npy
# ---------- run dirs, caches, artifacts
cp -r data d70 && node -e 'const f="d70/index.json";const j=JSON.parse(require("fs").readFileSync(f));j.splits.train.samples[0].frames=1e9;require("fs").writeFileSync(f,JSON.stringify(j))'
refuse P70 'd70' 'cache sample claiming 10^9 frames' -- C train --data d70 --out r70 "${TR[@]}"
cp -r data d71 && truncate -s 1000 d71/train.bin
refuse P71 'd71' 'cache with train.bin truncated' -- C train --data d71 --out r71 "${TR[@]}"
cp -r data d72 && rm d72/index.json
refuse P72 'd72' 'cache without index.json' -- C train --data d72 --out r72 "${TR[@]}"
refuse P73 'recording\.npy' 'a file as --data' -- C train --data recording.npy --out r73 "${TR[@]}"
cp -r run r74 && echo '{ broken' > r74/run.json
refuse P74 'r74' 'run whose run.json is broken: train --resume' -- C train --resume r74 --epochs 2 --backend wasm --quiet
cp -r run r75 && truncate -s 10 r75/checkpoints/last/tensors.bin
refuse P75 'r75' 'run with a truncated checkpoint: export' -- C export r75 --out a75 --epoch last
refuse P76 'data' 'train --resume on a dataset cache' -- C train --resume data --backend wasm
cp -r artifact a77 && truncate -s 1000 a77/weights.bin
refuse P77 'a77' 'artifact with weights.bin truncated: compile' -- C compile a77 -o w77.wasm
cp -r artifact a78 && node -e 'const f="a78/model.json";const j=JSON.parse(require("fs").readFileSync(f));j.classes=Array.from({length:200000},(_, i)=>"c"+i);require("fs").writeFileSync(f,JSON.stringify(j))'
refuse P78 'a78' 'artifact claiming 200,000 classes' -- C compile a78 -o w78.wasm
cp -r artifact a79 && node -e 'const f="a79/model.json";const j=JSON.parse(require("fs").readFileSync(f));j.weights=j.weights??j.manifest;const m=JSON.stringify(j).replace(/"shape":\[(\d+)/,"\"shape\":[-$1");require("fs").writeFileSync(f,m)'
refuse P79 'a79' 'artifact with a negative weight shape' -- C compile a79 -o w79.wasm
cp -r run r80 && node -e 'const f="r80/metrics.jsonl";require("fs").appendFileSync(f,"{garbage\n")'
ok     P80 'resume a run with garbage in metrics.jsonl (rewritten from the checkpoint)' -- C train --resume r80 --epochs 2 --backend wasm --quiet
# ---------- weird paths
refuse P81 'exists and is not|directory' 'compile -o onto a directory' -- C compile artifact -o "$W/dir.wasm"
ok     P82 'compile -o into a missing folder (created)' -- C compile artifact -o "$W/nodir/x.wasm"
echo 'mine' > userfile.txt && ln -s userfile.txt link.wasm
check P83 'compile -o a symlink to the user file' 'refused; the file unchanged' -- 'C compile artifact -o link.wasm > o83 2>&1 && { echo "exit 0"; }; [ "$(cat userfile.txt)" = mine ] || { echo "user file replaced"; exit 1; }; [ -L link.wasm ] || { echo "link replaced by a file"; exit 1; }'
touch afile
refuse P84 'afile' '--out through a file (afile/x)' -- C synth --out "$W/afile/x" --classes 1 --per-class 2
refuse P85 'full|ENOSPC|space' 'compile -o /dev/full' -- C compile artifact -o /dev/full --force
check P86 'synth --out with a newline and ESC in the name' 'escaped in output' -- 'C synth --out "$(printf "n\nl\033[31mx")" --classes 1 --per-class 2 > o86 2>&1; grep -q $'"'"'\033'"'"' o86 && { echo "raw ESC printed"; exit 1; }; exit 0'
mkdir -p userdir && echo keep > userdir/keep && ln -s userdir linkout
check P87 'synth --out a symlink to the user folder' 'refused; folder kept' -- 'C synth --out linkout --classes 1 --per-class 2 > o87 2>&1; [ "$(cat userdir/keep 2>/dev/null)" = keep ] || { echo "user folder lost"; exit 1; }'
check P88 'a misspelt flag (--epoch 3)' 'exit 1, first line names it and the right one (help follows, by design)' -- 'C train --data data --out r88 --epoch 3 > o88 2>&1 && { echo "exit 0"; exit 1; }; head -1 o88 | grep -q "unknown option .--epoch." || { head -1 o88; exit 1; }'
refuse P89 'frames|positive|integer' '--frames 0' -- C train --data data --out r89 --preset synth-quick --frames 0 --backend wasm
refuse P90 'top|integer|positive' 'run --top -1' -- C run f32.wasm --input recording.npy --top -1
# ---------- concurrency
check P91 'two synth --out same at once' 'one cache, complete, no temporaries' -- 'C synth --out s91 --classes 2 --per-class 3 --seed 1 >o91a 2>&1 & C synth --out s91 --classes 2 --per-class 3 --seed 2 > o91b 2>&1; wait; C inspect s91 >/dev/null 2>&1 || { echo "cache unreadable"; exit 1; }; ls -a | grep -q "^\.s91\." && { echo "temporaries left"; exit 1; }; exit 0'
check P92 'two compile -o same at once' 'the .wasm and .json belong together' -- 'cp -r artifact a92; C compile artifact -o c92.wasm > o92a 2>&1 & C compile a92 -o c92.wasm --weights f16 > o92b 2>&1; wait; C run c92.wasm --input recording.npy > o92 2>&1 || { head -1 o92; exit 1; }'
check P93 'kill -9 during train, then train --resume' 'resume works (stale lock taken over)' -- 'C train --data data --out r93 --preset synth-quick --epochs 3 --val-fraction 0 --backend wasm --seed 1 --width 0.125 --blocks 2 --frames 16 --batch 8 > o93 2>&1 & pid=$!; for i in $(seq 60); do sleep 1; [ -e r93/checkpoints ] && ls r93/checkpoints | grep -q . && break; done; kill -9 $pid; wait $pid; [ -e r93/.cocodiff-lock ] || echo "(no lock left)" >&2; C train --resume r93 --backend wasm --quiet > o93b 2>&1 || { head -2 o93b | tail -1; exit 1; }; [ -s r93/result.json ] || { echo "no result"; exit 1; }'
check P94 'stale lock whose PID is a live unrelated process (pid 1)' 'taken over' -- 'cp -r run r94; echo "{\"format\":\"cocodiff-lock\",\"pid\":1,\"host\":\"$(hostname)\",\"since\":\"2020-01-01T00:00:00.000Z\",\"started\":\"0-dead-boot/1\"}" > r94/.cocodiff-lock; C export r94 --out a94 --epoch last > o94 2>&1 || { head -1 o94; exit 1; }'
check P95 'kill -9 during synth, then synth again' 'second synth works, temporaries gone' -- 'C synth --out s95 --classes 3 --per-class 400 > /dev/null 2>&1 & pid=$!; sleep 4; kill -9 $pid; wait $pid; C synth --out s95 --classes 1 --per-class 2 > o95 2>&1 || { head -1 o95; exit 1; }; ls -a | grep -q "^\.s95\." && { echo "temporaries left"; exit 1; }; exit 0'
check P96 'eval --out into a run being trained' 'refused by the lock' -- 'C train --data data --out r96 --preset synth-quick --epochs 2 --val-fraction 0 --backend wasm --seed 1 --width 0.125 --blocks 2 --frames 16 --batch 8 --quiet > /dev/null 2>&1 & for i in $(seq 120); do [ -e r96/.cocodiff-lock ] && break; sleep 0.5; done; C eval run --data data --out r96 --backend wasm > o96 2>&1 && { echo "exit 0"; wait; exit 1; }; wait; grep -q "another cocodiff" o96 || { head -1 o96; exit 1; }'
# ---------- full disk (a 1 MB tmpfs)
mkdir -p full && mount -t tmpfs -o size=600k tmpfs full 2>/dev/null && FULL=1 || FULL=0
if [ $FULL = 1 ]; then
check P97 'synth onto a full disk' 'one line naming ENOSPC; nothing left' -- 'C synth --out full/s --classes 3 --per-class 20 > o97 2>&1 && { echo "exit 0"; exit 1; }; [ "$(tr "\r" "\n" < o97 | grep -v "ETA" | grep -c .)" = 1 ] && grep -q ENOSPC o97 || { head -1 o97; exit 1; }; [ -z "$(ls -A full)" ] || { echo "left: $(ls -A full)"; exit 1; }'
check P98 'train onto a full disk' 'one line naming ENOSPC; lock gone' -- 'head -c 450000 /dev/zero > full/ballast; C train --data data --out full/r "${TR[@]}" > o98 2>&1 && { echo "exit 0"; exit 1; }; grep -q "internal error\|    at " o98 && { head -1 o98; exit 1; }; grep -q ENOSPC o98 || { head -1 o98; exit 1; }; [ ! -e full/r/.cocodiff-lock ] || { echo "lock left"; exit 1; }; rm -rf full/ballast full/r'
check P99 'compile onto a full disk' 'one line naming ENOSPC; nothing left' -- 'head -c 560000 /dev/zero > full/ballast; C compile artifact -o full/x.wasm > o99 2>&1 && { echo "exit 0"; exit 1; }; [ "$(grep -c . o99)" = 1 ] && grep -q ENOSPC o99 || { head -1 o99; exit 1; }; [ "$(ls -A full)" = ballast ] || { echo "left: $(ls -A full)"; exit 1; }; rm -f full/ballast'
check P100 'prepare ntu onto a full disk' 'one line; nothing left' -- 'head -c 590000 /dev/zero > full/ballast; C prepare ntu --raw raw --benchmark xsub --out full/n --threads 0 > o100 2>&1 && { echo "exit 0"; exit 1; }; grep -q "internal error\|    at " o100 && { head -1 o100; exit 1; }; [ "$(ls -A full)" = ballast ] || { echo "left: $(ls -A full)"; exit 1; }; rm -f full/ballast'
umount full
fi
# ---------- the runtime API (installed cocodiff-runtime)
cp "$SW/api-probes.mjs" "$APP/api-probes.mjs"
(cd "$APP" && timeout 120 node api-probes.mjs "$W/f32.wasm" "$W/recording.npy") > "$W/api.tsv" 2> "$W/api.err"
cat "$W/api.tsv" >> "$OUT"; cat "$W/api.err" | head -5 >&2
echo "workdir: $W" >&2
