# MicroScopiQ quantizer suite (sourced by tests/run.sh): image round trips in both modes,
# idempotence and agreement with MX-INT of the outlier-free format, the paper's ablation ordering
# (Table 7) and Hessian >= RTN on synthetic opt-125m, and bad calibration input.

MD=build/test-logs/msq
MXQ=build/bin/mxquant
mkdir -p "$MD"

# msq_roundtrip SPEC TAG: quantize a zoo layer, check it against a fresh quantization, inspect,
# dequantize to safetensors, re-quantize that and check again. `mxquant check --in` judges every
# decoded weight against its error bound (tests/suites/bounds.sh), then re-quantizes and
# compares bytes, a self-consistency check that both modes are deterministic and that --in reads
# what dequant writes. The outlier formats are not idempotent
# (quantize -> dequant -> quantize changes the image; measured on opt-125m layer 0: 3.5 % of the
# decoded values change with bb = 2, 0.8 % with bb = 4), for two reasons:
# - the 3-sigma test runs again on the decoded MaB, whose inliers sit on a coarse grid (ternary
#   for bb = 2) and whose pruned slots are 0, so mean and sd move and the outlier set changes: a
#   weight at 3.5 sd can be at exactly 3 sd after decoding and turn into a regular inlier, which
#   raises I_sf (every inlier of the MaB moves to a step twice as large) or is clipped;
# - where the values do come back, the bytes need not: a pruned slot now holds an exact 0 that
#   ties with other zero inliers, and the tie picks another slot (same values, another
#   permutation list).
# The Hessian mode also re-runs error compensation on the decoded weights. What is idempotent is
# the format without outliers, msq_idem_mxint below.
msq_roundtrip() {
    local img=$MD/rt-$2.img st=$MD/rt-$2.safetensors
    $MXQ quantize --format "$1" --model opt-125m --seed 3 --calib-tokens 256 --out "$img" &&
        $MXQ check "$img" --model opt-125m --seed 3 --calib-tokens 256 &&
        $MXQ inspect "$img" >/dev/null &&
        $MXQ dequant "$img" --out "$st" &&
        $MXQ quantize --format "$1" --in "$st" --calib-tokens 256 --out "$img.2" &&
        $MXQ check "$img.2" --in "$st" --calib-tokens 256
}

# msq_idem_mxint BB: microscopiq<BB>:maxout=0 is MX-INT-bb alone, one scale per MaB of 128 output
# channels covering every weight (docs/microscopiq-format.md), so
# - it is byte-idempotent for the MX-INT reason (tests/suites/quant.sh): the decoded MaB keeps
#   floor(log2 amax), hence I_sf, and every element is a level of that step;
# - it decodes to exactly the values of mxint<BB>/128, a different encoder, packer and decoder
#   (MaBs in (k, n-block) order and variable-length metadata vs (n-block, k) blocks, one E8M0 byte
#   each): the dequantized safetensors files must be equal byte for byte.
msq_idem_mxint() {
    local f=microscopiq$1:maxout=0 img=$MD/idem-$1.img
    $MXQ quantize --format "$f" --model opt-125m --seed 3 --out "$img" &&
        $MXQ dequant "$img" --out "$img.safetensors" &&
        $MXQ quantize --format "$f" --in "$img.safetensors" --out "$img.2" &&
        cmp "$img" "$img.2" &&
        $MXQ quantize --format "mxint$1/128" --model opt-125m --seed 3 --out "$MD/mxint$1.img" &&
        $MXQ dequant "$MD/mxint$1.img" --out "$MD/mxint$1.safetensors" &&
        cmp "$img.safetensors" "$MD/mxint$1.safetensors"
}

# The ablation of the paper's Table 7 as measured here (summed over the 6 linears of layer 0):
# MX-INT-2 alone has over 1.5 times the weight MSE of MX-INT-2 + outliers with one exponent per MaB,
# which is worse than outliers per uB; the Hessian mode's output SQNR (held-out tokens) beats RTN
# on every layer, for bb = 2 and 4. EBW lies between bb and the all-outlier bound.
msq_ablation() {
    $MXQ report --model opt-125m --tokens 128 --calib-tokens 512 \
        --format microscopiq2:maxout=0 --format microscopiq2:group=128 --format microscopiq2 \
        --format microscopiq2:mode=gptq --format microscopiq4 --format microscopiq4:mode=gptq \
        --csv "$MD/ablation.csv" >"$MD/ablation.txt" || return 1
    cat "$MD/ablation.txt"
    awk -F, 'NR > 1 {
            f = $2; gsub(/"/, "", f); n = $3 * $4
            mse[f] += $5 * n; y[$1 "|" f] = $7; t[$1] = 1
            if (f ~ /maxout=0/) next
            bb = substr(f, 12, 1) + 0
            if (!($11 > bb && $11 < bb + (24 + 8 * bb + 8) / 8 - bb && $10 > 0 && $10 < 0.2)) {
                print "EBW/outlier fraction out of range:", $0; bad = 1 }
        }
        END {
            a = mse["microscopiq2:maxout=0"]; b = mse["microscopiq2:group=128"]; c = mse["microscopiq2"]
            printf "weight MSE sums: alone %g, per-128 %g, per-uB %g\n", a, b, c
            if (!(a > 1.5 * b && b > c)) { print "ablation ordering broken"; bad = 1 }
            for (x in t) for (bb = 2; bb <= 4; bb += 2) {
                r = y[x "|microscopiq" bb]; g = y[x "|microscopiq" bb ":mode=gptq"]
                if (!(g > r)) { print x, "bb=" bb ": Hessian", g, "dB <= RTN", r, "dB"; bad = 1 }
            }
            exit bad
        }' "$MD/ablation.csv"
}

# A one-tensor calibration file of 768 features (768 tokens): built from a dequantized weight.
msq_calib_file() {
    $MXQ quantize --format mxfp8_e4m3 --model opt-125m --out "$MD/c.img" >/dev/null &&
        $MXQ dequant "$MD/c.img" --out "$MD/c-all.safetensors" >/dev/null &&
        $MXQ quantize --format mxfp8_e4m3 --in "$MD/c-all.safetensors" \
            --tensors model.decoder.layers.0.self_attn.q_proj.weight --out "$MD/c1.img" \
            >/dev/null &&
        $MXQ dequant "$MD/c1.img" --out "$MD/calib768.safetensors" >/dev/null
}

msq_calib_ok() {
    $MXQ quantize --format microscopiq2:mode=gptq --in "$MD/c-all.safetensors" \
        --tensors model.decoder.layers.0.fc1.weight --calib "$MD/calib768.safetensors" \
        --out "$MD/cal.img" &&
        $MXQ check "$MD/cal.img" --in "$MD/c-all.safetensors" \
            --tensors model.decoder.layers.0.fc1.weight --calib "$MD/calib768.safetensors"
}

echo "== MicroScopiQ quantizer"
for spec in microscopiq2 microscopiq4 microscopiq2:mode=gptq microscopiq4:group=128,mode=gptq; do
    tag=${spec//[:=,]/-}
    run "msq/roundtrip-$tag" msq_roundtrip "$spec" "$tag"
done
for bb in 2 4; do
    run "msq/maxout0-idempotent-equals-mxint$bb-128" msq_idem_mxint $bb
done
run "msq/same-seed-same-bytes" bash -c "
    $MXQ quantize --format microscopiq4:mode=gptq --model opt-125m --seed 9 --calib-tokens 200 --out $MD/s1.img &&
    $MXQ quantize --format microscopiq4:mode=gptq --model opt-125m --seed 9 --calib-tokens 200 --out $MD/s2.img &&
    cmp $MD/s1.img $MD/s2.img"
run "msq/check-mismatch" expect_mismatch $MXQ check "$MD/s1.img" --model opt-125m --seed 9 \
    --calib-tokens 199
run "msq/ablation-opt-125m" msq_ablation
run "msq/calib-file" msq_calib_file
run "msq/calib-file-quantize" msq_calib_ok

echo "== MicroScopiQ bad input"
O=$MD/out.img
run "msq/calib-wrong-width" expect_error_noout "768 features, the weight 'model.decoder.layers.0.fc2.weight' has 3072 inputs" "$O" \
    $MXQ quantize --format microscopiq2:mode=gptq --model opt-125m \
    --calib "$MD/calib768.safetensors" --out "$O"
run "msq/calib-missing" expect_error_noout "nope.safetensors" "$O" \
    $MXQ quantize --format microscopiq2:mode=gptq --model opt-125m --calib "$MD/nope.safetensors" \
    --out "$O"
run "msq/calib-tokens-bad" expect_error_noout "--calib-tokens=0: out of range" "$O" \
    $MXQ quantize --format microscopiq2:mode=gptq --model opt-125m --calib-tokens 0 --out "$O"
run "msq/bad-group" expect_error_noout "microscopiq2:group=16: must be 8 (per uB) or 128" "$O" \
    $MXQ quantize --format microscopiq2:group=16 --model opt-125m --out "$O"
run "msq/bad-damp" expect_error_noout "microscopiq4:damp=2: out of range" "$O" \
    $MXQ quantize --format microscopiq4:damp=2 --model opt-125m --out "$O"
run "msq/calib-and-calib-tokens" expect_error_noout \
    "--calib-tokens goes with synthetic calibration, not --calib" "$O" \
    $MXQ quantize --format microscopiq2:mode=gptq --model opt-125m \
    --calib "$MD/calib768.safetensors" --calib-tokens 64 --out "$O"
run "msq/calib-no-matching-tensor" expect_error_noout \
    "c-all.safetensors: no calibration tensor 'model.decoder.layers.0.attn_in'" "$O" \
    $MXQ quantize --format microscopiq2:mode=gptq --model opt-125m \
    --calib "$MD/c-all.safetensors" --out "$O"
