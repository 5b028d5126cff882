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
# The npm package carries no licence file: LICENSE (MIT, Microsoft) and ThirdPartyNotices.txt are the onnxruntime
# project's own (github.com/microsoft/onnxruntime), the same files its Python wheel ships; copied from there when
# the onnxruntime package is installed, else the ones in the folder stay.
wheel="$(python3 -c 'import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))' 2>/dev/null || true)"
if [ -n "$wheel" ] && [ -f "$wheel/LICENSE" ]; then
  cp "$wheel/LICENSE" "$wheel/ThirdPartyNotices.txt" "$target/"
fi
echo "onnxruntime-web $version -> $target"
