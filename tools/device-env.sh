#!/bin/bash
# Sourced on the H100 device machine (no package registry there): unpacks
# the runtime libraries carried in .gl/ and points the Vulkan loader at the
# NVIDIA driver. See BENCHMARKS.md for how runs there are made.
# Only libraries: unpacking fuse3 or bats over / broke ldconfig there.
# Elsewhere (a test of device-run.sh on a lavapipe box) it leaves / alone.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if command -v nvidia-smi >/dev/null || [ -d /usr/local/nvidia ]; then
	for f in .gl/lib*.deb .gl/vulkan-validationlayers*.deb; do
		[ -e "$f" ] && dpkg -x "$f" /
	done
	ldconfig 2>/dev/null || true
	[ -e "$icd" ] && export VK_DRIVER_FILES=$icd
fi
