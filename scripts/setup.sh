#!/usr/bin/env bash
# Installs what mxforge needs on Debian 12. As root it runs apt-get; otherwise it prints the
# exact command and fails, so `make test` on a fresh machine either works or says what to do.
set -euo pipefail

# tool -> package, then header-only/library packages checked through dpkg.
PKGS=(gcc g++ make pkg-config verilator iverilog yosys nextpnr-ice40 time
      libcjson-dev libcmocka-dev libopenblas-dev liblapacke-dev libfp16-dev zlib1g-dev
      gnuplot-nox clang-14 libclang-rt-14-dev)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run:  sudo apt-get update && sudo $cmd" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "setup: missing packages (${missing[*]}) and no apt-get on this machine" >&2
    exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >&2
