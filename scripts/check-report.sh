#!/usr/bin/env bash
# Renders REPORT_DIR/report.html in headless Chromium, as a reader sees it and as it prints,
# so that a person can look at the charts:
#   OUT_PREFIX.png         the page at a window width of 1280 px (the whole page: a tall window)
#   OUT_PREFIX.pdf         print-to-PDF (the report's print CSS)
#   OUT_PREFIX-page-N.png  each PDF page, when pdftoppm (poppler-utils) is installed
# OUT_PREFIX defaults to REPORT_DIR/../report (a trailing .png is dropped). Installs chromium
# once if it is missing.
set -euo pipefail
dir=${1:?usage: scripts/check-report.sh REPORT_DIR [OUT_PREFIX]}
html=$(cd "$dir" && pwd)/report.html
prefix=${2:-$(dirname "$html")/../report}
prefix=${prefix%.png}
[ -f "$html" ] || { echo "no report.html in $dir" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  apt-get update && apt-get install -y chromium
  browser=$(command -v chromium)
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
run() {
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" "file://$html" 2>/dev/null
}
run --window-size=1280,12000 --hide-scrollbars --screenshot="$prefix.png"
echo "screenshot (1280 px wide): $prefix.png"
run --no-pdf-header-footer --print-to-pdf="$prefix.pdf"
echo "print-to-PDF: $prefix.pdf"
if command -v pdftoppm >/dev/null; then
  pdftoppm -r 60 -png "$prefix.pdf" "$prefix-page"
  echo "PDF pages: $(ls "$prefix"-page-*.png | wc -l) PNG file(s) $prefix-page-*.png"
else
  echo "pdftoppm not found (apt-get install poppler-utils): PDF pages not rendered to PNG"
fi
