#!/usr/bin/env bash
# Build a self-contained bundle for a Linux x64 GPU machine that has no node, no internet and no libvulkan:
#   bin/node.xz                  this machine's node, stripped and xz-compressed
#   node_modules/webgpu/…        Dawn's Node addon (dawn.node.xz) with its index.js
#   node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm   wasm fallback binaries
#   bench.mjs.xz                 scripts/gpu/bench.ts and the project, bundled by esbuild into one ESM file
#   adapters.mjs, run.sh         adapter listing and the launcher (unpacks, sets LD_LIBRARY_PATH and the Vulkan ICD)
#   lib/                         Debian bookworm libvulkan1, glvnd (libGLdispatch, libGLX, libEGL, libGL, libOpenGL,
#                                libGLESv2) and X11 client libs, from `apt-get download`
#   lib-fallback/                libstdc++ and libgcc_s, used only where the system lacks them
#   node_modules/onnxruntime-*   with --with-ort: onnxruntime-node's JS and its linux-x64 binaries (xz), every provider
#                                library present in bin/napi-v6/linux/x64 (the CUDA ones only after an install with
#                                ONNXRUNTIME_NODE_INSTALL=cuda12 on a connected machine)
# Usage: scripts/gpu-bundle.sh [--entry FILE] [--with-ort] [OUT_DIR]   (default outputs/gpu-bundle, ~34 MB; docs/gpu.md)
#   --entry: the script bundled as bench.mjs (default scripts/gpu/bench.ts; e.g. scripts/bench.ts). Native
#   packages (tfjs-node, onnxruntime-node, sharp) stay external; without --with-ort they are absent there.
# Then, on the GPU machine: OUT_DIR/run.sh bench --backend webgpu --kernels
# The onnxruntime device check (step times and parity of the CNN and ResNet50 fine-tuning on cuda/webgpu):
#   scripts/gpu-bundle.sh --entry scripts/gpu/ortCheck.ts --with-ort   then   run.sh bench --ep cuda,webgpu --out ort.json
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENTRY=scripts/gpu/bench.ts
WITH_ORT=0
while [[ ${1:-} == --* ]]; do
  case $1 in
    --entry) ENTRY=${2:?"gpu-bundle: --entry needs a file"}; shift 2 ;;
    --with-ort) WITH_ORT=1; shift ;;
    *) echo "gpu-bundle: unknown option, use --entry FILE or --with-ort. Received: $1" >&2; exit 2 ;;
  esac
done
OUT=${1:-$ROOT/outputs/gpu-bundle}
CACHE=$ROOT/outputs/.gpu-bundle-cache
ARCH_DIR=x86_64-linux-gnu
DEBS=(libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 libx11-6 libx11-xcb1 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)
FALLBACK_DEBS=(libstdc++6 libgcc-s1)

die() { echo "gpu-bundle: $*" >&2; exit 1; }
[[ $(uname -m) == x86_64 && $(uname -s) == Linux ]] || die "builds linux-x64 bundles only. Received: $(uname -s) $(uname -m)"
command -v xz >/dev/null || die "needs xz (apt-get install xz-utils). Received: no xz on PATH"
[[ -f $ROOT/$ENTRY ]] || die "entry script not found (path relative to the repository root). Received: $ENTRY"
[[ -f $ROOT/node_modules/webgpu/dist/linux-x64/dawn.node ]] || die "Dawn addon missing; run npm install (webgpu is an optional dependency). Received: no node_modules/webgpu/dist/linux-x64/dawn.node"

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib" "$OUT/lib-fallback" "$OUT/node_modules/webgpu/dist/linux-x64" "$CACHE"

# 1. node: stripped + xz, cached per version (compressing ~95 MB takes a minute).
NODE_XZ=$CACHE/node-$(node --version)-linux-x64.xz
if [[ ! -s $NODE_XZ ]]; then
  echo "gpu-bundle: compressing $(command -v node) ($(node --version))"
  cp "$(readlink -f "$(command -v node)")" "$CACHE/node.tmp"
  if command -v strip >/dev/null; then strip --strip-all "$CACHE/node.tmp"; fi
  xz -T0 -9 -c "$CACHE/node.tmp" >"$NODE_XZ.tmp" && mv "$NODE_XZ.tmp" "$NODE_XZ"
  rm -f "$CACHE/node.tmp"
fi
cp "$NODE_XZ" "$OUT/bin/node.xz"

# 2. Dawn addon with the package's own loader (bench.mjs imports "webgpu" from node_modules at run time).
DAWN=$ROOT/node_modules/webgpu
cp "$DAWN/index.js" "$DAWN/package.json" "$OUT/node_modules/webgpu/"
xz -T0 -9 -c "$DAWN/dist/linux-x64/dawn.node" >"$OUT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

# 3. wasm fallback binaries, and package.json files so BackendInfo.versions names the bundled packages.
WASM=$ROOT/node_modules/@tensorflow/tfjs-backend-wasm
mkdir -p "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/dist" "$OUT/node_modules/@tensorflow/tfjs-backend-webgpu"
cp "$WASM/package.json" "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/"
cp "$WASM"/dist/*.wasm "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
cp "$ROOT/node_modules/@tensorflow/tfjs-backend-webgpu/package.json" "$OUT/node_modules/@tensorflow/tfjs-backend-webgpu/"

# 3b. onnxruntime-node (JS + linux-x64 binaries, xz) and onnxruntime-common, for the onnxruntime device check.
if [[ $WITH_ORT == 1 ]]; then
  ORT=$ROOT/node_modules/onnxruntime-node ORT_BIN=bin/napi-v6/linux/x64
  [[ -f $ORT/$ORT_BIN/libonnxruntime.so.1 ]] || die "--with-ort needs onnxruntime-node installed. Received: no $ORT/$ORT_BIN/libonnxruntime.so.1"
  mkdir -p "$OUT/node_modules/onnxruntime-node/$ORT_BIN" "$OUT/node_modules/onnxruntime-common"
  cp -r "$ORT/package.json" "$ORT/dist" "$OUT/node_modules/onnxruntime-node/"
  for f in "$ORT/$ORT_BIN"/*; do xz -T0 -9 -c "$f" >"$OUT/node_modules/onnxruntime-node/$ORT_BIN/$(basename "$f").xz"; done
  cp -r "$ROOT/node_modules/onnxruntime-common/package.json" "$ROOT/node_modules/onnxruntime-common/dist" "$OUT/node_modules/onnxruntime-common/"
fi

# 4. The project in one file. `require`, __dirname and __filename exist in an ESM bundle only through this banner.
BANNER="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
(cd "$ROOT" && npx --no-install esbuild "$ENTRY" --bundle --platform=node --format=esm --target=node20 \
  --minify-syntax --minify-whitespace --legal-comments=none --log-level=warning \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --external:onnxruntime-node --external:sharp \
  "--banner:js=$BANNER" --outfile="$OUT/bench.mjs")
xz -T0 -9 "$OUT/bench.mjs" # → bench.mjs.xz, unpacked by run.sh
cp "$ROOT/scripts/gpu/adapters.mjs" "$ROOT/scripts/gpu/run.sh" "$OUT/"
chmod +x "$OUT/run.sh"

# 5. Vulkan loader, glvnd and X11 client libs from Debian packages (shared objects only).
fetch_libs() {
  local dest=$1; shift
  local debs=$CACHE/debs tmp
  mkdir -p "$debs"
  (cd "$debs" && apt-get download "$@" >/dev/null 2>&1) || { echo "gpu-bundle: apt-get download $* failed; $dest left empty (see docs/gpu.md)" >&2; return 0; }
  tmp=$(mktemp -d)
  for pkg in "$@"; do dpkg-deb -x "$(ls -t "$debs/${pkg}"_*.deb | head -1)" "$tmp"; done
  # Links do not travel to the device machine: copy each soname link as a plain file, plus unlinked libraries.
  local dir so
  for dir in "$tmp/usr/lib/$ARCH_DIR" "$tmp/lib/$ARCH_DIR"; do
    [[ -d $dir ]] || continue
    for so in "$dir"/*.so.*; do
      if [[ -L $so ]]; then cp -L "$so" "$dest/"
      elif ! find "$dir" -maxdepth 1 -lname "$(basename "$so")" | grep -q .; then cp "$so" "$dest/"; fi
    done
  done
  rm -rf "$tmp"
}
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian/Ubuntu) for the Vulkan libs. Received: not found"
fetch_libs "$OUT/lib" "${DEBS[@]}"
fetch_libs "$OUT/lib-fallback" "${FALLBACK_DEBS[@]}"

# Manifest: what is in the bundle and where it came from.
{
  echo "built $(date -u +%FT%TZ) on $(uname -srm) from $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "entry $ENTRY; node $(node --version); webgpu $(node -p "require('$DAWN/package.json').version"); debs: ${DEBS[*]} ${FALLBACK_DEBS[*]}"
  (cd "$OUT" && find . -type f ! -name MANIFEST.txt -printf '%s\t%p\n' | sort -k2)
} >"$OUT/MANIFEST.txt"
HINT=$([[ $ENTRY == scripts/gpu/bench.ts ]] && echo " --backend webgpu --kernels" || echo " <$ENTRY options>")
echo "gpu-bundle: $OUT ($(du -sh "$OUT" | cut -f1)); on the GPU machine run: $(basename "$OUT")/run.sh doctor, then run.sh bench$HINT"
