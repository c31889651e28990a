#!/usr/bin/env bash
# Makes the consumer project the sweep probes: packs cocodiff-runtime and cocodiff from this checkout,
# installs both tarballs into APP (an empty folder), and makes there what the probes start from with the
# installed CLI: a synthetic cache (data), NTU .skeleton files (raw), a one-epoch run (run), its artifact,
# a recognizer (f32.wasm + f32.json) and a recording (recording.npy).
#   bash .ci/sweep/prepare-app.sh APP
set -euo pipefail
app="$(mkdir -p "$1" && cd "$1" && pwd)"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/.ci/consumer"
cd "$repo"
npm run build > "$app/build.log" 2>&1
npm pack --silent --ignore-scripts --pack-destination "$app" --workspace cocodiff-runtime >/dev/null
npm pack --silent --ignore-scripts --pack-destination "$app" >/dev/null
cd "$app"
echo '{ "name": "sweep", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --prefer-offline ./cocodiff-runtime-*.tgz ./cocodiff-[0-9]*.tgz > install.log 2>&1
C=(npx --no-install cocodiff)
"${C[@]}" synth --out data --classes 3 --per-class 6 --seed 1
node "$here/write-skeletons.mjs" raw
"${C[@]}" train --data data --out run --preset synth-quick --epochs 1 --val-fraction 0 --backend wasm --quiet --seed 1 --width 0.125 --blocks 2 --frames 16 --batch 8
"${C[@]}" export run --out artifact --epoch last
node "$here/write-recording.mjs" recording.npy recording.json
"${C[@]}" compile artifact -o f32.wasm
