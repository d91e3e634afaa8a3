#!/usr/bin/env bash
# Loads every reports/*/index.html in headless Chromium: the page must render (DOM dumped), every
# file it references (images, data, inputs) must exist and every figure must be a non-empty SVG,
# and a full-page screenshot must come out non-empty; the screenshots are kept in OUT_DIR.
# Usage: html_reports.sh REPORTS_DIR OUT_DIR. Exits 77 (ctest: skipped) when Chromium is missing.
set -euo pipefail

reports_dir=$(cd "$1" && pwd)
out_dir=$2
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "SKIP: headless Chromium not found, so the HTML reports were not loaded in a browser."
  echo "      Install it with \`scripts/install-deps --with-browser\` (Debian package chromium)."
  exit 77
fi
mkdir -p "$out_dir"

# One fresh profile per run; nothing reaches the network.
run_chromium() {
  local profile
  profile=$(mktemp -d)
  local status=0
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars "$@" 2>>"$out_dir/chromium.log" || status=$?
  rm -rf "$profile"
  return $status
}

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

pages=("$reports_dir"/*/index.html)
[ -e "${pages[0]}" ] || { echo "FAIL: no reports/*/index.html under $reports_dir"; exit 1; }
for page in "${pages[@]}"; do
  folder=$(dirname "$page")
  name=$(basename "$folder")
  failures_before=$failures
  dom="$out_dir/$name.dom.html"
  run_chromium --dump-dom "file://$page" >"$dom" || fail "$name: chromium --dump-dom failed"
  grep -q '<h1>' "$dom" || fail "$name: the DOM has no <h1> (page did not load)"
  # Every relative src/href in the loaded DOM must name a file that exists.
  references=$(grep -o -E '(src|href)="[^"#]+"' "$dom" | sed -E 's/^(src|href)="(.*)"$/\2/' |
    grep -v -E '^[a-z]+:' | sort -u || true)
  images=0
  for reference in $references; do
    file="$folder/$reference"
    [ -s "$file" ] || { fail "$name: missing or empty $reference"; continue; }
    case "$reference" in
      *.svg)
        images=$((images + 1))
        grep -q '<svg' "$file" || fail "$name: $reference is not an SVG image"
        ;;
    esac
  done
  img_tags=$(grep -o '<img ' "$dom" | wc -l)
  [ "$images" -eq "$img_tags" ] || fail "$name: $img_tags <img> tags but $images SVG files found"
  # Every figure says what it shows: its own alt text and a caption.
  duplicate_alts=$(grep -o 'alt="[^"]*"' "$dom" | sort | uniq -d)
  [ -z "$duplicate_alts" ] || fail "$name: figures share an alt text: $duplicate_alts"
  captions=$(grep -o '<figcaption>' "$dom" | wc -l)
  [ "$captions" -eq "$img_tags" ] || fail "$name: $img_tags figures but $captions captions"
  shot="$out_dir/$name.png"
  rm -f "$shot"
  # A virtual-time budget lets every figure finish loading and painting before the capture.
  run_chromium --window-size=1200,1600 --virtual-time-budget=10000 --screenshot="$shot" \
    "file://$page" >/dev/null ||
    fail "$name: chromium --screenshot failed"
  if [ ! -s "$shot" ] || [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
    fail "$name: no screenshot (or not a PNG) at $shot"
  elif [ "$failures" -eq "$failures_before" ]; then
    echo "ok: $name ($img_tags figures, $(echo "$references" | grep -c . || true) files referenced; screenshot $shot)"
  fi
done
[ "$failures" -eq 0 ] || { echo "$failures failure(s); chromium messages in $out_dir/chromium.log"; exit 1; }
