#!/bin/bash
# Installs what vyrefs needs to build and run (build), or also to test
# (all, the default), on Debian 12 (as root).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
# What building and running need (the quick start installs only these)...
build=(meson ninja-build pkg-config gcc libfuse3-dev fuse3 liburing-dev libvulkan-dev
       glslang-tools mesa-vulkan-drivers)
# ...and what the tests, fuzzers, benchmarks and package build add.
tests=(clang vulkan-validationlayers bats python3 fio ripgrep libclang-rt-14-dev
       libhyperscan-dev build-essential debhelper lintian systemd strace zsh
       python3-prometheus-client slurm-wlm munge)
case "${1:-all}" in
build) pkgs=("${build[@]}") ;;
all) pkgs=("${build[@]}" "${tests[@]}") ;;
*)
	echo "usage: tools/deps.sh [build|all]  (all: also what the tests need; the default)" >&2
	exit 2
	;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "vyrefs: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
