# Error-bound suite (sourced by tests/run.sh): `mxquant check --in` judges the decode. Every
# decoded weight must lie within the format's per-element bound of its source (docs/formats.md,
# "Error bounds"); the byte comparison after it is only a self-consistency check.
# - the MicroScopiQ reproduction of issue 9 (an outlier alone in an otherwise zero MaB, which
#   decoded to 1.8e19 / 4.2e34 before the fix) decodes to 0.5 and `check --in` passes, in RTN and
#   Hessian mode;
# - `check --in` fails (exit 1, MISMATCH naming tensor, row, col, block, class, decoded value,
#   source and bound) on images planted with a bad decode: the pre-fix encoding of the
#   reproduction (inlier scale byte 0x00, so that L1 saturates), an MX scale one binade off, a
#   FineQ step doubled. The image is patched with dd and both CRCs are recomputed (gzip's trailer
#   holds the zlib CRC-32 of its input), so the structural check without a reference passes:
#   only the bound catches the bug;
# - `check --in` passes on good images of every format made from degenerate tensors.

BD=build/test-logs/bounds
MXQ=build/bin/mxquant
mkdir -p "$BD"

# bd_st FILE ROWS COLS GEN: a one-tensor ("w") F32 safetensors file; GEN R C sets BD_V to the
# element's IEEE bit pattern (no subshell, so that the generator's random state advances).
bd_st() {
    local f=$1 n=$2 k=$3 gen=$4 r c v x data='' js
    for ((r = 0; r < n; r++)); do
        for ((c = 0; c < k; c++)); do
            $gen "$r" "$c"
            v=$BD_V
            printf -v x '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $((v >> 8 & 255)) \
                $((v >> 16 & 255)) $((v >> 24 & 255))
            data+=$x
        done
    done
    js="{\"w\":{\"dtype\":\"F32\",\"shape\":[$n,$k],\"data_offsets\":[0,$((n * k * 4))]}}"
    local l=${#js}
    {
        printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((l & 255)) \
            $((l >> 8 & 255)) $((l >> 16 & 255)) $((l >> 24 & 255)))"
        printf '%s' "$js"
        printf "$data"
    } >"$f"
}

# BD_S is a 64-bit LCG state (wraps like the C one).
BD_S=1
BD_BIG=0
bd_next() { BD_S=$((BD_S * 6364136223846793005 + 1442695040888963407)); }
# 128 x 1: a single 0.5 (0x3f000000) at row 40.
bd_gen_one() { BD_V=$(($1 == 40 ? 0x3f000000 : 0)); }
# 256 x 256: small weights (|w| in [2^-10, 2^-6)), column 17 zero except [40][17] = 0.5.
bd_gen_repro() {
    if (($2 == 17)); then bd_gen_one "$1"; return; fi
    bd_next
    BD_V=$(((BD_S >> 63 & 1) << 31 | (117 + (BD_S >> 40 & 3)) << 23 | (BD_S >> 33 & 0x7fffff)))
}
# 136 x 100 degenerate: zero rows 0 and 5 and column 1, subnormals in row 7, one huge (2^40)
# among the rest at [11][11], a uB of four large values (rows 16..19, column 3), the rest small
# random; with BD_BIG=1 row 9 is near overflow (2^126 .. 2^128).
bd_gen_degenerate() {
    local r=$1 c=$2 e
    bd_next
    BD_V=0
    ((r == 0 || r == 5 || c == 1)) && return
    if ((r == 11 && c == 11)); then BD_V=$(((127 + 40) << 23)); return; fi
    if ((r >= 16 && r < 20 && c == 3)); then BD_V=$((126 << 23 | (BD_S >> 33 & 0x7fffff))); return; fi
    e=$((100 + (BD_S >> 40 & 15)))
    ((r == 7)) && e=0
    ((r == 9 && BD_BIG)) && e=$((253 + (BD_S >> 44 & 1)))
    BD_V=$(((BD_S >> 63 & 1) << 31 | e << 23 | (BD_S >> 33 & 0x7fffff)))
}

# bd_u N OFF FILE: unsigned little-endian integer of N bytes at OFF.
bd_u() { od -An -tu"$1" -j "$2" -N "$1" "$3" | tr -d ' '; }
# bd_crc FILE OFF LEN: the CRC-32 of [OFF, OFF+LEN) as 4 little-endian bytes (printf escapes).
bd_crc() {
    tail -c +$(($2 + 1)) "$1" | head -c "$3" | gzip -c | tail -c 8 | head -c 4 |
        od -An -tx1 | sed 's/ *\([0-9a-f][0-9a-f]\)/\\x\1/g'
}
bd_put() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# bd_patch IMG codes|meta REL BYTE_ESCAPE: overwrite byte REL of the first tensor's section and
# recompute that section's CRC and the header CRC (docs/image-format.md).
bd_patch() {
    local img=$1 sec=$2 rel=$3 byte=$4 sl nl base off len crcat hlen
    sl=$(bd_u 2 32 "$img")
    nl=$(bd_u 2 $((34 + sl)) "$img")
    base=$((34 + sl + 2 + nl))
    if [[ $sec == codes ]]; then off=$(bd_u 8 $((base + 20)) "$img") len=$(bd_u 8 $((base + 28)) "$img") crcat=$((base + 36))
    else off=$(bd_u 8 $((base + 40)) "$img") len=$(bd_u 8 $((base + 48)) "$img") crcat=$((base + 56)); fi
    bd_put "$img" $((off + rel)) "$byte"
    bd_put "$img" "$crcat" "$(bd_crc "$img" "$off" "$len")"
    hlen=$(bd_u 4 12 "$img")
    bd_put "$img" $((hlen - 4)) "$(bd_crc "$img" 0 $((hlen - 4)))"
}
# bd_byte IMG codes|meta REL: a byte of the first tensor's section (decimal).
bd_byte() {
    local img=$1 sl nl base off at=40
    [[ $2 == codes ]] && at=20
    sl=$(bd_u 2 32 "$img")
    nl=$(bd_u 2 $((34 + sl)) "$img")
    base=$((34 + sl + 2 + nl))
    off=$(bd_u 8 $((base + at)) "$img")
    bd_u 1 $((off + $3)) "$img"
}
# bd_f32 ST INDEX: element INDEX of the only tensor of a safetensors file, as od prints it.
bd_f32() { od -An -tf4 -j $((8 + $(bd_u 8 0 "$1") + 4 * $2)) -N 4 "$1" | tr -d ' '; }

# bd_repro SPEC SHAPE INDEX: quantize the reproduction, `check --in` passes, W[40][17] (or
# [40][0]) decodes to 0.5 in RTN mode and to within the Hessian mode's bound otherwise.
bd_repro() {
    local spec=$1 src=$BD/repro-$2.safetensors img=$BD/repro-$2-${1//[:=]/-}.img
    $MXQ quantize --format "$spec" --in "$src" --out "$img" &&
        $MXQ check "$img" --in "$src" | tee "$img.log" &&
        grep -q "every decoded weight is within its bound" "$img.log" &&
        $MXQ dequant "$img" --out "$img.safetensors" &&
        { v=$(bd_f32 "$img.safetensors" "$3"); echo "W[40][..] decodes to $v"; } &&
        { [[ $spec == *gptq* ]] || [[ $v == 0.5 ]]; }
}

# bd_planted IMG SRC SEC REL BYTE PATTERN: a copy of IMG planted at one byte still validates
# without a reference, and `check --in` exits 1 naming the violation (PATTERN).
bd_planted() {
    local img=$1 src=$2 bad=$1.planted out rc
    cp "$img" "$bad" && bd_patch "$bad" "$3" "$4" "$5" || return 1
    $MXQ check "$bad" || { echo "the planted image should still validate structurally"; return 1; }
    out=$($MXQ check "$bad" --in "$src" 2>&1)
    rc=$?
    echo "rc=$rc: $out"
    [[ $rc -eq 1 ]] && grep -q "^MISMATCH w: decoded weight" <<<"$out" &&
        grep -qF -- "$6" <<<"$out"
}

echo "== error bounds"
bd_make_tensors() {
    BD_S=1 BD_BIG=0
    bd_st "$BD/repro-128x1.safetensors" 128 1 bd_gen_one &&
        bd_st "$BD/repro-256.safetensors" 256 256 bd_gen_repro &&
        bd_st "$BD/degenerate.safetensors" 136 100 bd_gen_degenerate &&
        BD_S=1 BD_BIG=1 &&
        bd_st "$BD/degenerate-big.safetensors" 136 100 bd_gen_degenerate
}
run "bounds/make-tensors" bd_make_tensors
for spec in microscopiq2 microscopiq4 microscopiq2:mode=gptq microscopiq4:mode=gptq; do
    run "bounds/repro-128x1-${spec//[:=]/-}" bd_repro "$spec" 128x1 40
    run "bounds/repro-256x256-${spec//[:=]/-}" bd_repro "$spec" 256 $((40 * 256 + 17))
done

# The pre-fix encoding: the MaB's inlier scale byte (metadata byte 0) set to 0x00 (I_sf = -127).
# The outlier's L1 is then below its field, so it decodes to 2^64 (bb=2) / 2^115 (bb=4).
run "bounds/planted-saturated-outlier-scale-bb2" \
    bd_planted "$BD/repro-128x1-microscopiq2.img" "$BD/repro-128x1.safetensors" meta 0 '\x00' \
    "decoded weight [40][0] (block 0, outlier) is 1.84467441e+19, source 0.5"
run "bounds/planted-saturated-outlier-scale-bb4" \
    bd_planted "$BD/repro-128x1-microscopiq4.img" "$BD/repro-128x1.safetensors" meta 0 '\x00' \
    "decoded weight [40][0] (block 0, outlier) is 4.15383749e+34, source 0.5"
# The same in the 256 x 256 tensor (column 17, rows 0..127: MaB 17 * 2 = 34).
bd_planted_msq256() {
    local img=$BD/repro-256-microscopiq2.img src=$BD/repro-256.safetensors o=0 m b
    for ((m = 0; m < 34; m++)); do # metadata offset of MaB 34: 3 bytes + 4 per flagged uB
        b=$(($(bd_byte "$img" meta $((o + 1))) | $(bd_byte "$img" meta $((o + 2))) << 8))
        for ((o += 3; b; b >>= 1)); do ((b & 1)) && o=$((o + 4)); done
    done
    bd_planted "$img" "$src" meta "$o" '\x00' \
        "decoded weight [40][17] (block 34, outlier) is 1.84467441e+19, source 0.5"
}
run "bounds/planted-saturated-outlier-scale-256x256" bd_planted_msq256

# Good images of every format from degenerate tensors; then planted bugs of other families.
bd_good() {
    local spec=$1 src=$2 img=$BD/good-${1//[\/:=,]/-}-$(basename "$2" .safetensors).img
    $MXQ quantize --format "$spec" --in "$src" --out "$img" &&
        $MXQ check "$img" --in "$src" | tee "$img.log" &&
        grep -q "every decoded weight is within its bound" "$img.log"
}
for spec in mxfp4 mxfp6_e2m3 mxfp6_e3m2 mxfp8_e4m3 mxfp8_e5m2 mxint8 mxint2 mxint4 mxint2/n128 \
    mxint4/k16 nxfp4 nxfp5 nxfp6 nxfp4:am=0,cr=off fineq microscopiq2 microscopiq4 \
    microscopiq2:mode=gptq microscopiq4:mode=gptq; do
    run "bounds/good-${spec//[\/:=,]/-}" bd_good "$spec" "$BD/degenerate.safetensors"
    [[ $spec == *gptq* ]] && continue # compensation overflows near 2^128 (a clean error)
    run "bounds/good-${spec//[\/:=,]/-}-near-overflow" bd_good "$spec" \
        "$BD/degenerate-big.safetensors"
done
# mxfp4: the scale of block 4 (row 1, columns 0..31) one binade up.
bd_planted_mx() {
    local img=$BD/good-mxfp4-degenerate.img
    bd_planted "$img" "$BD/degenerate.safetensors" meta 4 \
        "$(printf '\\x%02x' $(($(bd_byte "$img" meta 4) + 1)))" "(block 4, "
}
run "bounds/planted-mxfp4-scale" bd_planted_mx
# FineQ: the step of row 2, group 0 (metadata bytes 8, 9) doubled (FP16 exponent + 1).
bd_planted_fineq() {
    local img=$BD/good-fineq-degenerate.img
    bd_planted "$img" "$BD/degenerate.safetensors" meta 9 \
        "$(printf '\\x%02x' $(($(bd_byte "$img" meta 9) + 4)))" "decoded weight [2]["
}
run "bounds/planted-fineq-step" bd_planted_fineq
