#!/usr/bin/env bash
# TypeScript 4.x consumers: a project on TypeScript 4.9 (strict, moduleResolution node16, the
# packages' declarations checked too) type-checks node-app.ts against the installed cocodiff-runtime.
# TypeScript before 5.7 cannot resolve a `.ts` specifier in a package's .d.ts, nor read 5.7's generic
# typed arrays; runtime-as/dts-specifiers.ts makes the specifiers `.js` at build time.
# Called by run.sh in the consumer project, where the packed cocodiff-runtime-*.tgz lies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir ts4
cd ts4
echo '{ "name": "consumer-ts4", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --prefer-offline ../cocodiff-runtime-*.tgz typescript@4.9 > install.log 2>&1 || { cat install.log >&2; exit 1; }
cp "$here/node-app.ts" "$here/tsconfig.node16.json" .
npx --no-install tsc --version | grep -q '^Version 4\.9\.' || { echo "typescript 4.9 was not installed" >&2; exit 1; }
npx --no-install tsc -p tsconfig.node16.json
echo "TypeScript 4.9 (strict, node16, declarations checked): 0 errors"
