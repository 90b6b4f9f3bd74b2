#!/usr/bin/env bash
# Installs Apache ECharts for the dashboards' charts: npm fetches the package's tarball at the
# pinned version from the configured registry, the tarball must match the integrity (the
# registry's dist.integrity, pinned in the Makefile) or nothing is installed, and its
# dist/echarts.min.js (with the licence and notice) goes into the static folder given.
# The verified tarball is kept under .make/, so a second run needs no network.
# Usage: scripts/echarts.sh VERSION sha512-INTEGRITY DESTINATION_FOLDER
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
integrity=$2
destination=$3
cache=.make/echarts-${version}.tgz

command -v npm >/dev/null || scripts/system-packages.sh nodejs npm

# Node comes with npm, so it computes the digest: no other tool is assumed.
integrity_of() {
  node -e 'const crypto = require("crypto"), fs = require("fs");
    const digest = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1]));
    process.stdout.write("sha512-" + digest.digest("base64"));' "$1"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p .make

if [ -f "$cache" ] && [ "$(integrity_of "$cache")" = "$integrity" ]; then
  cp "$cache" "$work/echarts.tgz"
else
  echo "Fetching echarts@${version} with npm from $(npm config get registry)"
  # A registry package has no lifecycle scripts to run on pack; --ignore-scripts makes sure.
  name=$(npm pack "echarts@${version}" --pack-destination "$work" --ignore-scripts \
    --loglevel=error --no-update-notifier --no-fund --no-audit | tail -n 1)
  mv "$work/$name" "$work/echarts.tgz"
  actual=$(integrity_of "$work/echarts.tgz")
  if [ "$actual" != "$integrity" ]; then
    echo "echarts@${version}: the tarball's integrity is not the one pinned in the Makefile." >&2
    echo "  pinned:   ${integrity}" >&2
    echo "  received: ${actual}" >&2
    echo "Nothing was installed. Change the pin only after checking why it differs" >&2
    echo "(npm view echarts@${version} dist.integrity)." >&2
    exit 1
  fi
  cp "$work/echarts.tgz" "$cache"
fi

tar -xzf "$work/echarts.tgz" -C "$work" package/dist/echarts.min.js package/LICENSE package/NOTICE
grep -q "version=\"${version}\"" "$work/package/dist/echarts.min.js" ||
  { echo "echarts@${version}: dist/echarts.min.js does not say version ${version}." >&2; exit 1; }
mkdir -p "$destination"
cp "$work/package/LICENSE" "$destination/echarts-LICENSE.txt"
cp "$work/package/NOTICE" "$destination/echarts-NOTICE.txt"
# The tarball's files are dated 1985; a fresh date keeps make from installing again each run.
cp "$work/package/dist/echarts.min.js" "$destination/echarts.min.js.tmp"
touch "$destination/echarts.min.js.tmp"
mv "$destination/echarts.min.js.tmp" "$destination/echarts.min.js"
echo "Installed echarts ${version} in ${destination}/echarts.min.js"
