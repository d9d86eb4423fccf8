#!/usr/bin/env bash
# Renders REPORT_DIR/report.html in headless Chromium and writes REPORT_DIR/../report.png
# (or $2), so a person can look at the charts. Installs chromium once if it is missing.
set -euo pipefail
dir=${1:?usage: scripts/check-report.sh REPORT_DIR [OUT.png]}
html=$(cd "$dir" && pwd)/report.html
out=${2:-$(dirname "$html")/../report.png}
[ -f "$html" ] || { echo "no report.html in $dir" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  apt-get update && apt-get install -y chromium
  browser=$(command -v chromium)
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1400,4000 --screenshot="$out" "file://$html" 2>/dev/null
echo "screenshot: $out"
