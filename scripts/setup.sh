#!/usr/bin/env bash
# Sets up everything Dhakira needs on Debian: system tools, a virtualenv, the package.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Dhakira needs Python 3.11 or newer (found: $("$PY" --version 2>&1 || echo none))." >&2
  echo "Install it with: apt-get install -y python3 python3-venv" >&2
  exit 1
fi

# Debian packages: tool -> package
declare -A NEED=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [exiftool]=libimage-exiftool-perl
  [pdftotext]=poppler-utils [pdftoppm]=poppler-utils [file]=file [openssl]=openssl
  [tesseract]=tesseract-ocr [fc-list]=fontconfig
  [chromium]=chromium
)
missing=()
for tool in "${!NEED[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${NEED[$tool]}")
done
# libmagic (python-magic's library)
# (here-strings, not pipes: with pipefail, grep -q closing early makes a pipe "fail")
libs=$(ldconfig -p 2>/dev/null || true)
grep -q 'libmagic\.so\.1' <<<"$libs" || missing+=(libmagic1)
"$PY" -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# OCR languages, and Arabic fonts (tests render Arabic text to OCR it)
if command -v tesseract >/dev/null 2>&1; then
  langs=$(tesseract --list-langs 2>/dev/null)
  grep -qx ara <<<"$langs" || missing+=(tesseract-ocr-ara)
  grep -qx eng <<<"$langs" || missing+=(tesseract-ocr-eng)
else
  missing+=(tesseract-ocr-ara tesseract-ocr-eng)
fi
fonts=$(fc-list 2>/dev/null || true)
grep -qi "Noto Naskh Arabic" <<<"$fonts" || missing+=(fonts-noto-core fonts-kacst fonts-hosny-amiri)
grep -qi "DejaVu Sans" <<<"$fonts" || missing+=(fonts-dejavu-core)
# Pillow shapes Arabic with raqm, which loads the system's FriBiDi
grep -q 'libfribidi\.so\.0' <<<"$libs" || missing+=(libfribidi0)
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: $pkgs" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "Missing system packages. Install them with:" >&2
    echo "  sudo apt-get install -y $pkgs" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.dhakira-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
  echo "$want" > "$stamp"
fi
