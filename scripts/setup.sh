#!/usr/bin/env bash
# Set up zoo's build chain: libtorch + OpenBLAS from Debian (or an official
# libtorch for CUDA), a patched copy of gotch v0.9.1 in third_party/gotch, and
# Fashion-MNIST (Debian's dataset-fashion-mnist, the vision recipes' default).
#
#   scripts/setup.sh               CPU, Debian's libtorch-dev 1.13.1
#   LIBTORCH=/opt/libtorch scripts/setup.sh
#                                  CUDA (or any official libtorch build) under $LIBTORCH
#   ZOO_WITH_PYTORCH=1 scripts/setup.sh
#                                  also install python3-torch (golden values, benchmarks)
#
# Idempotent: a second run checks and returns in seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
gotch_version=v0.9.1
dest="$root/third_party/gotch"
stamp="$dest/.zoo-setup"

log() { printf 'setup: %s\n' "$*" >&2; }

need_apt=()
dpkg_has() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_packages() {
	local pkgs=(libopenblas0-pthread dataset-fashion-mnist)
	[ -z "${LIBTORCH:-}" ] && pkgs+=(libtorch-dev)
	[ "${ZOO_WITH_PYTORCH:-0}" = 1 ] && pkgs+=(python3-torch)
	for p in "${pkgs[@]}"; do dpkg_has "$p" || need_apt+=("$p"); done
	[ ${#need_apt[@]} -eq 0 ] && return
	log "apt-get install ${need_apt[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need_apt[@]}"
}

cpu_lib_go() {
	cat <<'GO'
package libtch

// Written by zoo's scripts/setup.sh: Debian's CPU libtorch (C++11 ABI).

// #cgo LDFLAGS: -lstdc++ -ltorch -lc10 -ltorch_cpu
// #cgo CFLAGS: -I${SRCDIR} -O2 -w -D_GLIBCXX_USE_CXX11_ABI=1
// #cgo CXXFLAGS: -std=c++17 -I${SRCDIR} -O2 -w -I/usr/include/torch/csrc/api/include
import "C"
GO
}

cuda_lib_go() {
	local lt=$1 abi=${ZOO_TORCH_CXX11_ABI:-1} cuda=${CUDA_HOME:-/usr/local/cuda}
	cat <<GO
package libtch

// Written by zoo's scripts/setup.sh: libtorch at $lt (CUDA libraries from $cuda).

// #cgo LDFLAGS: -L$lt/lib -Wl,-rpath,$lt/lib -lstdc++ -ltorch -lc10 -ltorch_cpu
// #cgo LDFLAGS: -L$cuda/lib64 -Wl,-rpath,$cuda/lib64 -lcudart -lc10_cuda -ltorch_cuda
// #cgo CFLAGS: -I\${SRCDIR} -O2 -w -D_GLIBCXX_USE_CXX11_ABI=$abi -I$cuda/include
// #cgo CXXFLAGS: -std=c++17 -I\${SRCDIR} -O2 -w -I$lt/include -I$lt/include/torch/csrc/api/include
import "C"
GO
}

lib_go() {
	if [ -n "${LIBTORCH:-}" ]; then
		[ -f "$LIBTORCH/lib/libtorch.so" ] || { log "LIBTORCH=$LIBTORCH has no lib/libtorch.so"; exit 1; }
		cuda_lib_go "$LIBTORCH"
	else
		cpu_lib_go
	fi
}

copy_gotch() {
	local want
	want=$( { lib_go; cat "$root/scripts/patch_gotch.py" "$root/scripts/gotch-ops-missing-in-libtorch-1.13.txt"; } | sha256sum | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		log "third_party/gotch is up to date"
		return
	fi
	log "copying gotch $gotch_version from the module cache"
	local src
	src=$(cd "$(mktemp -d)" && go mod download -json "github.com/sugarme/gotch@$gotch_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || { log "go mod download github.com/sugarme/gotch@$gotch_version failed"; exit 1; }
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	cp -r "$src" "$dest"
	chmod -R u+w "$dest"
	rm -rf "$dest/example" # stale against v0.9.1's own API; never built
	lib_go >"$dest/libtch/lib.go"
	python3 "$root/scripts/patch_gotch.py" "$dest/libtch" "$root/scripts/gotch-ops-missing-in-libtorch-1.13.txt"
	echo "$want" >"$stamp"
}

apt_packages
copy_gotch
log "building (2-3 min on 2 cores when libtorch's wrappers are not in the Go build cache yet)"
(cd "$root" && go build github.com/sugarme/gotch/ts github.com/sugarme/gotch/nn ./...)
log "done"
