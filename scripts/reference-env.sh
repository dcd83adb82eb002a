#!/usr/bin/env bash
# Creates the Python reference environment (PyTorch + HF transformers/PEFT/TRL/tokenizers, TensorBoard's event reader)
# used to generate goldens and run the live parity checks. Installs offline from the machine's local wheel store
# (pip config); idempotent.
# Usage: scripts/reference-env.sh [VENV_DIR]   (default: .venv-ref in the repo root). Prints the python path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-$root/.venv-ref}"
py="$venv/bin/python"
modules='torch, transformers, peft, trl, tokenizers, safetensors, datasets, tensorboard'
if [ -x "$py" ] && "$py" -c "import $modules" 2>/dev/null; then
  echo "$py"; exit 0
fi
base_python="$(command -v python3.11 || command -v python3)"
"$base_python" -m venv "$venv" >&2
# The wheel store's indexes replace PyPI (unreachable here): the first becomes --index-url, the rest extra indexes.
idx=()
for u in $(pip config get global.extra-index-url 2>/dev/null || true); do
  if [ ${#idx[@]} -eq 0 ]; then idx+=(--index-url "$u"); else idx+=(--extra-index-url "$u"); fi
done
fl=()
for d in $(pip config get global.find-links 2>/dev/null || true); do fl+=(--find-links "$d"); done
"$py" -m pip install -q "${idx[@]}" "${fl[@]}" \
  torch==2.13.0+cpu transformers==5.17.0 peft trl==1.13.0 safetensors tokenizers datasets jinja2 numpy tensorboard >&2
echo "$py"
