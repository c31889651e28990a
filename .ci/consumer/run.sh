#!/usr/bin/env bash
# The consumer test: pack cocodiff-runtime and cocodiff, install the tarballs into an empty
# project as an app developer would (dependencies from the npm registry), and use them:
#   1. the installed CLI runs (`cocodiff --help`), and every command a user chains runs on the one
#      before it's output (matrix.sh);
#   2. a plain `node` ESM script classifies a recording with the runtime, as `cocodiff run` does, and
#      another teaches it a gesture (learn, the learned file, forget: learn.mjs);
#   3. strict TypeScript projects (moduleResolution node16 and bundler) type-check against the
#      packages with zero errors and no @types/node, and so does one on TypeScript 4.9 (typescript4.sh);
#   4. an esbuild browser bundle of the runtime classifies the same recording in headless Chromium.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/.ci/consumer"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/cocodiff-consumer-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "consumer test: $*" >&2; exit 1; }
# Runs a step with its output kept aside, shown only when it fails.
quiet() { "$@" > "$scratch/step.log" 2>&1 || { cat "$scratch/step.log" >&2; fail "failed: $*"; }; }

cd "$repo"
quiet npm run build
npm pack --silent --ignore-scripts --pack-destination "$scratch" --workspace cocodiff-runtime >/dev/null
npm pack --silent --ignore-scripts --pack-destination "$scratch" >/dev/null
node -e '
  const { execFileSync } = require("node:child_process");
  const shared = new Set();
  for (const ws of [["--workspace", "cocodiff-runtime"], []]) {
    const [p] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", ...ws], { encoding: "utf8" }));
    // The code both packages use ships once, in the runtime (dist/shared); cocodiff imports it from there.
    for (const f of p.files) if (f.path.startsWith("dist/shared/")) shared.add(f.path.slice("dist/shared/".length));
    const copies = p.name === "cocodiff" ? p.files.map((f) => f.path.replace(/^dist\/common\//, "")).filter((f) => shared.has(f)) : [];
    if (copies.length) { console.error(`cocodiff ships its own copy of files the runtime ships in dist/shared: ${copies.join(", ")}`); process.exit(1); }
    const bad = p.files.map((f) => f.path).filter((f) => /^(tests|examples)\/|fixtures|\.test\.|(?<!\.d)\.ts$/.test(f) && !f.startsWith("assembly/"));
    console.log(`${p.name}: ${p.entryCount} files, packed ${(p.size / 1024).toFixed(1)} kB, unpacked ${(p.unpackedSize / 1024).toFixed(1)} kB`);
    if (bad.length) { console.error(`${p.name} ships ${bad.slice(0, 5).join(", ")}`); process.exit(1); }
    if (p.name === "cocodiff-runtime" && p.unpackedSize > 256 * 1024) { console.error("cocodiff-runtime unpacks to more than 256 KB"); process.exit(1); }
  }'
node -e 'const p = require("./runtime-as/package.json"); if (Object.keys({ ...p.dependencies, ...p.peerDependencies }).length) { console.error("cocodiff-runtime has dependencies"); process.exit(1); }'

cd "$scratch"
cp "$here"/{classify.mjs,learn.mjs,node-app.ts,browser-app.ts,tsconfig.node16.json,tsconfig.bundler.json} .
echo '{ "name": "consumer", "private": true, "type": "module" }' > package.json
quiet npm install --no-audit --no-fund --prefer-offline ./cocodiff-runtime-*.tgz ./cocodiff-[0-9]*.tgz
[ ! -e node_modules/tsx ] || fail "the installed CLI pulled in tsx"
find node_modules/cocodiff node_modules/cocodiff-runtime -name '*.ts' ! -name '*.d.ts' ! -path '*/assembly/*' | grep -q . && fail "TypeScript sources in the installed packages"

npx --no-install cocodiff --help | grep -q '^Usage: cocodiff' || fail "cocodiff --help"
bash "$here/matrix.sh" "$repo"
# The matrix's f32 build and recording serve the app checks below.
cp f32.wasm recognizer.wasm && cp f32.json recognizer.json
node_top="$(node classify.mjs recognizer.wasm recording.npy)"
cli_top="$(npx --no-install cocodiff run recognizer.wasm --input recording.npy | sed -n 2p | sed -E 's/^ +1\. (.*[^ ]) +([0-9.]+) %$/\1/')"
[ "${node_top%%$'\t'*}" = "$cli_top" ] || fail "node script says \"$node_top\", cocodiff run says \"$cli_top\""
echo "node ESM script: $node_top (cocodiff run agrees)"
node learn.mjs recognizer.wasm recording.npy || fail "a gesture taught with learn()"

"$repo/node_modules/.bin/tsc" -p tsconfig.node16.json
"$repo/node_modules/.bin/tsc" -p tsconfig.bundler.json
echo "TypeScript (strict, node16 and bundler, no @types/node): 0 errors"
"$here/typescript4.sh" || fail "TypeScript 4.9 does not type-check against the installed cocodiff-runtime"

mkdir site && cp recognizer.wasm recognizer.json recording.json site/
browser_top="$(node "$here/browser.mjs" "$scratch")"
[ "$browser_top" = "$node_top" ] || fail "the browser page shows \"$browser_top\", Node \"$node_top\""
echo "browser bundle in Chromium: $browser_top"
echo "consumer test: passed"
