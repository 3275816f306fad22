#!/usr/bin/env bash
# scripts/mutate.sh BLOCK [ID...]: the mutation campaign of one block (make mutate).
# Plants each mutant of gen/blocks/BLOCK/BLOCK_mutants.tsv (or only the given IDs) in a copy of
# a small reference config's emitted RTL, then runs the checks a real bug must not survive:
#   Verilator: `random` (tight schedule, every column, extreme operands) and, where the block has
#   it, `directed` (its worst cases), with zero and with random
#   start-up state (XPROP, 2 seeds); Icarus: a cycle-exact GEMM and a streaming GEMM under heavy
#   backpressure. A mutant is killed when any check fails. Prints one line per mutant and the
#   kill rate; exit 1 if a mutant not marked equivalent survives, 2 on bad input.
set -uo pipefail
cd "$(dirname "$0")/.."
blk=${1:?usage: scripts/mutate.sh BLOCK [ID...]}
shift
list=gen/blocks/$blk/${blk}_mutants.tsv
[[ -f $list ]] || { echo "mutate: $list: no mutant list for block '$blk'" >&2; exit 2; }
# The reference config: a line "@config<TAB>mxfgen options" in the list switches it for the
# mutants below it (a folder holding two blocks plants mutants in both).
case $blk in
ws) args="--arch ws --array 4 --wbits 8" ;;
*) args="--arch $blk" ;;
esac
work=build/mutate/$blk
rm -rf "$work" && mkdir -p "$work"
newbase() {
    base=$(build/bin/mxfgen rtl $args --out "$work/base-$1" | tail -n1) || exit 2
}
nb=0
newbase $nb
planted=0 killed=0 equiv=0 survived=()
while IFS=$'\t' read -r id file expr what eq; do
    [[ -z $id || $id == \#* ]] && continue
    if [[ $id == @config ]]; then
        args=$file
        nb=$((nb + 1))
        newbase $nb
        continue
    fi
    if [[ $# -gt 0 ]] && ! printf '%s\n' "$@" | grep -qx -- "$id"; then continue; fi
    d=$work/$id
    cp -r "$base" "$d"
    perl -0pi -e "$expr" "$d/rtl/$file"
    if cmp -s "$base/rtl/$file" "$d/rtl/$file"; then
        echo "mutate: $id: the substitution did not apply to rtl/$file (stale list?)" >&2
        exit 2
    fi
    planted=$((planted + 1))
    verdict=survived how=''
    if ! make -s -f mk/config.mk CFG_DIR="$d" sim >"$d/build.log" 2>&1; then
        verdict=killed how='does not build or lint'
    elif ! "$d/mxfsim" random --count 12 --seed 7 >"$d/random.log" 2>&1; then
        verdict=killed how='Verilator random GEMMs'
    elif "$d/mxfsim" help 2>&1 | grep -q '^  directed ' &&
        ! "$d/mxfsim" directed --seed 7 >"$d/directed.log" 2>&1; then
        verdict=killed how='Verilator directed worst cases'
    elif ! bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed 3 >"$d/icarus.log" 2>&1; then
        verdict=killed how='Icarus cycle-exact GEMM'
    elif [[ -n $(ls "$d"/tb/tb_*_stream.sv 2>/dev/null) ]] &&
        ! STREAM=1 STREAM_READY=3 bash scripts/icarus.sh "$d" gemm --m 13 --k 21 --n 9 --seed 3 >"$d/stream.log" 2>&1; then
        verdict=killed how='Icarus streaming GEMM'
    elif ! make -s -f mk/config.mk CFG_DIR="$d" XPROP=1 sim >>"$d/build.log" 2>&1; then
        verdict=killed how='does not build (XPROP)'
    else
        for xs in 1 2; do
            if ! "$d/mxfsim-x" random --count 6 --seed 7 +verilator+seed+$xs +verilator+rand+reset+2 >"$d/xprop.log" 2>&1; then
                verdict=killed how="random start-up state (seed $xs)"
                break
            fi
        done
    fi
    if [[ $verdict == killed ]]; then
        killed=$((killed + 1))
        rm -rf "$d/obj" "$d/obj-x"
    elif [[ -n ${eq:-} ]]; then
        equiv=$((equiv + 1))
        verdict="equivalent (${eq#equivalent: })"
    else
        survived+=("$id")
    fi
    printf '  %-22s %-10s %s%s\n' "$id" "${verdict%% *}" "$what" "${how:+  [$how]}"
done <"$list"
[[ $planted -gt 0 ]] || { echo "mutate: no mutant selected" >&2; exit 2; }
rate=$(awk -v k="$killed" -v p="$planted" -v e="$equiv" 'BEGIN { printf "%.1f", 100 * k / (p - e) }')
echo "mutate $blk: $planted planted, $killed killed, $equiv equivalent, ${#survived[@]} survived: $rate % of non-equivalent mutants killed"
[[ ${#survived[@]} -eq 0 ]] || { echo "survivors: ${survived[*]}"; exit 1; }
