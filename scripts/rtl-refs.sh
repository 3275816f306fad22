#!/usr/bin/env bash
# The checked-in reference configs under rtl/ (RTL a user can take without building anything).
#   scripts/rtl-refs.sh update   regenerate them with this checkout's version tag
#   scripts/rtl-refs.sh check    regenerate each with the version its files record and fail on any
#                                difference (tests/suites/rtlref.sh runs this)
# The list: one line per config, "NAME: mxfgen options"; every registered block has at least one.
set -euo pipefail
cd "$(dirname "$0")/.."
REFS=(
    "ws-a4-w8: --arch ws --array 4 --wbits 8"
    "ws-a16-w8: --arch ws --array 16 --wbits 8"
    "ws-r8c4-w4: --arch ws --rows 8 --cols 4 --wbits 4"
    "fineq-a6-lock: --arch fineq --array 6 --sched lock"
    "fineq-a16-elastic: --arch fineq --array 16 --sched elastic"
    "fineq-mul-a16: --arch fineq-mul --array 16"
    "msq-a16-bb2: --arch microscopiq --array 16 --bb 2"
    "msq-a8-bb4-u1: --arch microscopiq --array 8 --bb 4 --recon 1"
    "msq-a16-bb2-benes: --arch microscopiq --array 16 --bb 2 --net benes"
)
mode=${1:-check}
g=build/bin/mxfgen
[[ -x $g ]] || { echo "rtl-refs: $g not built (make all)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
# one version tag for every reference (the first rewrite would make the tree dirty)
tag_now=$(git describe --tags --always --dirty 2>/dev/null || echo unversioned)
for line in "${REFS[@]}"; do
    name=${line%%:*}
    args=${line#*: }
    case $mode in
    update)
        tag=$tag_now
        rm -rf "rtl/$name"
        # shellcheck disable=SC2086
        $g rtl $args --tag "$tag" --out "rtl/$name" >/dev/null
        echo "rtl-refs: wrote rtl/$name ($tag)"
        ;;
    check)
        [[ -d rtl/$name ]] || { echo "rtl-refs: rtl/$name missing (scripts/rtl-refs.sh update)"; bad=1; continue; }
        tag=$(sed -n 's/^"version":[[:space:]]*"\(.*\)",$/\1/p; s/^[[:space:]]*"version":[[:space:]]*"\(.*\)",$/\1/p' "rtl/$name/manifest.json" | head -n1)
        # shellcheck disable=SC2086
        $g rtl $args --tag "$tag" --out "$tmp/$name" >/dev/null
        if ! diff -r "rtl/$name" "$tmp/$name"; then
            echo "rtl-refs: rtl/$name differs from what mxfgen emits now: run scripts/rtl-refs.sh update and commit"
            bad=1
        fi
        ;;
    *) echo "usage: scripts/rtl-refs.sh update|check" >&2; exit 2 ;;
    esac
done
# every registered block has a reference config
for b in $($g help | awk '/^blocks/{f=1;next} /^$/{f=0} f{print $1}'); do
    printf '%s\n' "${REFS[@]}" | grep -q -- "--arch $b " || { echo "rtl-refs: block $b has no reference config"; bad=1; }
done
exit $bad
