#!/bin/bash
# Installs what vyrefs needs to build, run and test on Debian 12 (as root).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libfuse3-dev fuse3 liburing-dev libvulkan-dev
      glslang-tools mesa-vulkan-drivers vulkan-validationlayers bats python3 fio ripgrep
      libclang-rt-14-dev libhyperscan-dev build-essential debhelper lintian systemd strace
      zsh python3-prometheus-client)
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
