#!/usr/bin/env bash
# Copies the front-end libraries pinned in package.json/package-lock.json into the
# console's embedded static folder, so that `go build` never needs Node.
#
#   scripts/vendor-assets.sh           refresh internal/web/static/vendor/
#   scripts/vendor-assets.sh --check   fail if the committed copy differs from the lock file's
#
# After changing a version in package.json: npm install --ignore-scripts, run this script,
# and commit package.json, package-lock.json and the vendor folder together.
set -euo pipefail

usage() {
	echo "usage: $0 [--check]" >&2
	exit 2
}

check=false
case "${1-}" in
"") ;;
--check) check=true ;;
-h | --help) usage ;;
*) usage ;;
esac
[[ $# -le 1 ]] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor_rel="internal/web/static/vendor"
vendor="$root/$vendor_rel"
cd "$root"

# destination name <- path under node_modules. Apache-2.0 asks that ECharts' NOTICE travel
# with it; its minified bundle also contains zrender (BSD-3-Clause) and parts of d3
# (BSD-3-Clause), whose licenses travel with it too.
files=(
	"htmx.min.js:htmx.org/dist/htmx.min.js"
	"htmx.LICENSE:htmx.org/LICENSE"
	"echarts.min.js:echarts/dist/echarts.min.js"
	"echarts.LICENSE:echarts/LICENSE"
	"echarts.NOTICE:echarts/NOTICE"
	"echarts.d3.LICENSE:echarts/licenses/LICENSE-d3"
	"zrender.LICENSE:zrender/LICENSE"
)

command -v npm >/dev/null || {
	echo "vendor-assets: npm not found; install Node.js to vendor the front-end libraries" >&2
	exit 1
}
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2

copy_into() {
	local dest="$1" entry name src
	mkdir -p "$dest"
	for entry in "${files[@]}"; do
		name="${entry%%:*}"
		src="node_modules/${entry#*:}"
		if [[ ! -f "$src" ]]; then
			echo "vendor-assets: $src is missing; did the package layout change?" >&2
			exit 1
		fi
		cp "$src" "$dest/$name"
	done
}

if ! $check; then
	rm -rf "$vendor"
	copy_into "$vendor"
	echo "vendor-assets: refreshed $vendor_rel"
	exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
copy_into "$tmp"

status=0
for entry in "${files[@]}"; do
	name="${entry%%:*}"
	if [[ ! -f "$vendor/$name" ]]; then
		echo "vendor-assets: $vendor_rel/$name is missing" >&2
		status=1
	elif ! cmp -s "$tmp/$name" "$vendor/$name"; then
		echo "vendor-assets: $vendor_rel/$name differs from node_modules/${entry#*:}" >&2
		status=1
	fi
done
if [[ -d "$vendor" ]]; then
	for f in "$vendor"/*; do
		[[ -e "$f" ]] || continue
		if [[ ! -e "$tmp/$(basename "$f")" ]]; then
			echo "vendor-assets: $vendor_rel/$(basename "$f") is not produced by this script" >&2
			status=1
		fi
	done
fi
if [[ $status -ne 0 ]]; then
	echo "vendor-assets: the vendored files do not match package-lock.json; run scripts/vendor-assets.sh and commit the result" >&2
	exit 1
fi
echo "vendor-assets: $vendor_rel matches package-lock.json"
