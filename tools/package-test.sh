#!/bin/bash
# Builds the Debian package from this tree, as a clean build would:
#
#   tools/package-test.sh [OUTDIR]      (default build/pkg)
#
# The tree's files (what git tracks, and new files git does not ignore; no
# build folders) are copied to a scratch folder and built there with
# dpkg-buildpackage -us -uc -b, so the package holds nothing of build/ and
# dpkg-buildpackage's output does not land beside the checkout. OUTDIR gets
# vyrefs_VERSION_ARCH.deb (and its -dbgsym) with the .buildinfo and .changes; the last line
# printed is the .deb's path. tests/bats/install.bats installs and tests it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/pkg}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for t in dpkg-buildpackage dh; do
	command -v "$t" >/dev/null || {
		echo "package-test: $t is missing (apt-get install dpkg-dev debhelper)" >&2
		exit 1
	}
done

scratch=$(mktemp -d /tmp/vyrefs-pkg.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
src="$scratch/vyrefs"
mkdir "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf -
fi

log="$out/dpkg-buildpackage.log"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -40 "$log" >&2
	echo "package-test: dpkg-buildpackage failed (whole log: $log)" >&2
	exit 1
fi
rm -f "$out"/vyrefs_*.deb "$out"/vyrefs-dbgsym_*.deb "$out"/vyrefs_*.buildinfo "$out"/vyrefs_*.changes
mv "$scratch"/vyrefs_*.deb "$scratch"/vyrefs-dbgsym_*.deb "$scratch"/vyrefs_*.buildinfo "$scratch"/vyrefs_*.changes "$out"/
ls "$out"/vyrefs_*.deb
