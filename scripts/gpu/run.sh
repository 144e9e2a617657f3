#!/usr/bin/env bash
# Run pneumo-lab's bench on a GPU machine from the bundle built by scripts/gpu-bundle.sh (no node, no internet,
# no libvulkan needed there). Copied into the bundle as run.sh.
#   ./run.sh bench [--backend webgpu] [--size 128] [--batch 16] [--steps 10] [--kernels] [--out result.json]
#   ./run.sh adapters     # which WebGPU adapters Dawn finds (Vulkan core, OpenGL ES compatibility)
#   ./run.sh doctor       # environment: driver, Vulkan ICD files, missing shared libraries
#   ./run.sh node ARGS…   # the bundled node itself
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Unpacking writes next to the packed files: work from a copy when the bundle is read-only.
if [[ ! -w $HERE ]]; then
  COPY=${TMPDIR:-/tmp}/pneumo-gpu-bundle
  mkdir -p "$COPY" && cp -ru "$HERE/." "$COPY/" && exec "$COPY/run.sh" "$@"
fi

# Decompress an .xz file next to itself once (xz, else Python's lzma).
unpack() {
  local packed=$1 target=${1%.xz}
  [[ -s $target ]] && return 0
  if command -v xz >/dev/null; then xz -dc "$packed" >"$target.tmp"
  elif command -v python3 >/dev/null; then python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$packed" "$target.tmp"
  else echo "run.sh: need xz or python3 to unpack $packed. Received: neither on PATH" >&2; exit 1; fi
  mv "$target.tmp" "$target"
}

# Vulkan ICD of the NVIDIA driver: use the system's JSON, else write one for libGLX_nvidia.so.0.
setup_icd() {
  local dir
  for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    if compgen -G "$dir/*.json" >/dev/null; then return 0; fi
  done
  [[ -n ${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-} ]] && return 0
  local lib
  lib=$( { ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}'; } || true)
  [[ -z $lib ]] && lib=$(find /usr/lib /usr/lib64 /usr/lib/x86_64-linux-gnu -maxdepth 2 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1 || true)
  if [[ -z $lib ]]; then echo "run.sh: no Vulkan ICD JSON and no libGLX_nvidia.so.0 found; WebGPU will find no GPU" >&2; return 0; fi
  mkdir -p "$HERE/icd"
  printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$HERE/icd/nvidia_icd.json"
  export VK_ICD_FILENAMES="$HERE/icd/nvidia_icd.json" VK_DRIVER_FILES="$HERE/icd/nvidia_icd.json"
  echo "run.sh: wrote $HERE/icd/nvidia_icd.json for $lib" >&2
}

unpack "$HERE/bin/node.xz"
chmod +x "$HERE/bin/node"
unpack "$HERE/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
unpack "$HERE/bench.mjs.xz"
# onnxruntime-node binaries of a --with-ort bundle (its provider libraries included)
for packed in "$HERE"/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/*.xz; do [[ -e $packed ]] && unpack "$packed"; done
# Bundled Debian libs: Vulkan loader, glvnd dispatch libs, X11 client libs (the ones libGLX_nvidia.so.0 links to).
# The NVIDIA driver's own libraries have other names (lib*_nvidia.so.*), so these never shadow them.
export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# libstdc++/libgcc only when the system lacks them (node and Dawn need them).
if ! { ldconfig -p 2>/dev/null | grep -q 'libstdc++\.so\.6'; }; then export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$HERE/lib-fallback"; fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
setup_icd

cmd=${1:-bench}
shift || true
case $cmd in
  bench) exec "$HERE/bin/node" "$HERE/bench.mjs" "$@" ;;
  adapters) exec "$HERE/bin/node" "$HERE/adapters.mjs" "$@" ;;
  node) exec "$HERE/bin/node" "$@" ;;
  doctor)
    echo "node: $("$HERE/bin/node" --version)"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not found"
    echo "VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-} LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    ls /etc/vulkan/icd.d /usr/share/vulkan/icd.d 2>/dev/null || true
    for so in "$HERE"/lib/*.so* $( (ldconfig -p 2>/dev/null || true) | awk '/libGLX_nvidia\.so\.0|libEGL_nvidia\.so\.0/ {print $NF}'); do
      missing=$(ldd "$so" 2>/dev/null | grep 'not found' || true)
      [[ -n $missing ]] && echo "$so: $missing"
    done
    echo "doctor: done" ;;
  *) echo "run.sh: unknown command, use bench, adapters, doctor or node. Received: $cmd" >&2; exit 2 ;;
esac
