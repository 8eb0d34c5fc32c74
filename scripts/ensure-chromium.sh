#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser journey (tests/e2e). Run by `make test`.
# Playwright drives /usr/bin/chromium; its own browser download is not used. This never fails the
# build: without root or apt the journey is skipped and says why.
set -u
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "ensure-chromium: $CHROMIUM is missing; the browser journey needs it."
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: not root or no apt-get here: not installing (the browser journey will be skipped)."
  exit 0
fi
echo "ensure-chromium: running apt-get update && apt-get install -y chromium"
if DEBIAN_FRONTEND=noninteractive apt-get update -q && \
   DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; then
  echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
else
  echo "ensure-chromium: apt-get failed (the browser journey will be skipped)."
fi
exit 0
