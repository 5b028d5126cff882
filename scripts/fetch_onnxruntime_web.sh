#!/usr/bin/env bash
# Rebuild gan_core/explore/onnxruntime_web/: the two files of onnxruntime-web (npm, MIT licence) that the offline
# page (gan_core.explore.export.offline_page) carries inside itself: the wasm-only ES module bundle and its
# single-file WebAssembly build, gzipped (the page unzips it with the browser's DecompressionStream).
# Usage: bash scripts/fetch_onnxruntime_web.sh [version]   (default: the version in VERSION)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$here/gan_core/explore/onnxruntime_web"
version="${1:-$(sed -n 's/^version=//p' "$target/VERSION")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "onnxruntime-web@$version" >/dev/null && tar xzf "onnxruntime-web-$version.tgz")
dist="$work/package/dist"
cp "$dist/ort.wasm.bundle.min.mjs" "$target/ort.wasm.bundle.min.mjs"
gzip -9 -n -c "$dist/ort-wasm-simd-threaded.wasm" > "$target/ort-wasm-simd-threaded.wasm.gz"
{
  echo "version=$version"
  echo "source=https://registry.npmjs.org/onnxruntime-web/-/onnxruntime-web-$version.tgz"
  echo "license=MIT (LICENSE; third-party notices: ThirdPartyNotices.txt)"
  (cd "$dist" && sha256sum ort.wasm.bundle.min.mjs ort-wasm-simd-threaded.wasm)
} > "$target/VERSION"
echo "onnxruntime-web $version -> $target"
