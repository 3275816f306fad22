# Bad-input suite (sourced by tests/run.sh): every row of docs/bad-input.md. Each bad input must
# exit with its documented code (2 bad input/usage, 3 out of memory; 1 only for a check that ran
# and found a mismatch), print its message, not crash (exit < 128), give no sanitizer report
# (the tools run as ASan+UBSan builds when build/asan/lib exists) and leave no output file.
# The bad files are generated here, under build/test-logs/badinput. Last: the fuzzers' short run.

BD=build/test-logs/badinput
rm -rf "$BD" && mkdir -p "$BD/asan" "$BD/dir"
O=$BD/out.img
BI_TABLE=$BD/table.tsv
: >"$BI_TABLE"

# ASan+UBSan twins of the tools (the Makefile builds sanitizer twins of the unit tests only).
bi_build_asan() {
    make -s build/asan/lib/libmxf.a || return 1
    local inc="-Isw/lib -Isw/formats -Isw/quant -Isw/io -Isw/zoo" t
    for t in mxquant mxfzoo synth_report; do
        gcc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 $inc \
            $(pkg-config --cflags libcjson openblas lapacke zlib) \
            -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
            -o "$BD/asan/$t" tools/$t.c build/asan/lib/libmxf.a \
            $(pkg-config --libs libcjson openblas lapacke zlib) -lm || return 1
    done
}
run "badinput/build-asan-tools" bi_build_asan
if [[ -x $BD/asan/mxquant && -x $BD/asan/mxfzoo && -x $BD/asan/synth_report ]]; then
    MXQ=$BD/asan/mxquant ZOO=$BD/asan/mxfzoo SR=$BD/asan/synth_report
else
    MXQ=build/bin/mxquant ZOO=build/bin/mxfzoo SR=build/bin/synth_report
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# bi_check CODE PATTERN OUT CMD...: CMD exits CODE (< 128), prints PATTERN, no sanitizer report,
# build/ unchanged, OUT (when not '-') not created, no temp file left in OUT's directory.
bi_check() {
    local code=$1 pat=$2 out=$3
    shift 3
    local before after res rc
    [[ $out != - ]] && rm -f "$out"
    before=$(ls build)
    res=$(timeout 60 "$@" 2>&1)
    rc=$?
    after=$(ls build)
    echo "rc=$rc: $res"
    [[ $rc -lt 128 && $rc -ne 124 ]] || { echo "crashed or hung (exit $rc)"; return 1; }
    [[ $rc -eq $code ]] || { echo "expected exit $code"; return 1; }
    grep -qF -- "$pat" <<<"$res" || { echo "expected message: $pat"; return 1; }
    ! grep -qE "runtime error|AddressSanitizer|LeakSanitizer" <<<"$res" || { echo "sanitizer report"; return 1; }
    [[ "$before" == "$after" ]] || { echo "build/ changed"; return 1; }
    if [[ $out != - ]]; then
        [[ ! -e $out ]] || { echo "partial output $out left behind"; return 1; }
        ! ls "$(dirname "$out")" 2>/dev/null | grep -q '\.tmp\.' || { echo "temp file left"; return 1; }
    fi
}
# bi NAME CODE PATTERN CMD... / bi_noout NAME CODE PATTERN OUT CMD...: one row of the table.
bi() { bi_noout "$1" "$2" "$3" - "${@:4}"; }
bi_noout() {
    local name=$1 code=$2 pat=$3 out=$4
    shift 4
    printf '%s\t%s\t%s\t%s\n' "$name" "$code" "$pat" "$*" >>"$BI_TABLE"
    run "badinput/$name" bi_check "$code" "$pat" "$out" "$@"
}

# ---- generated bad files ----
bi_st() { # FILE JSON [DATA]: safetensors from a JSON header and data bytes
    { st_header "$2" && printf "${3:-}"; } >"$1"
}
bi_poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
F8='\x00\x00\x80\x3f\x00\x00\x00\x40'
bi_st $BD/good.safetensors '{"w":{"dtype":"F32","shape":[64,64],"data_offsets":[0,16384]}}' \
    "$(for i in $(seq 4096); do printf '\\x00\\x00\\x80\\x3f'; done)"
bi_st $BD/other.safetensors '{"w":{"dtype":"F32","shape":[64,64],"data_offsets":[0,16384]}}' \
    "$(for i in $(seq 4096); do printf '\\x00\\x00\\x00\\x40'; done)"
bi_st $BD/overflow.safetensors '{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'
bi_st $BD/overflow4d.safetensors '{"w":{"dtype":"F16","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}}'
printf 'abc' >$BD/trunc.safetensors
: >$BD/empty.safetensors
printf '\xff\x00\x00\x00\x00\x00\x00\x00{}' >$BD/hlen.safetensors
bi_st $BD/badjson.safetensors '{"w":{"dtype":"F32",' "$F8"
bi_st $BD/array.safetensors '[1,2,3]'
bi_st $BD/notobj.safetensors '{"w":3}'
bi_st $BD/nodtype.safetensors '{"w":{"shape":[1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/i32.safetensors '{"w":{"dtype":"I32","shape":[1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/shapestr.safetensors '{"w":{"dtype":"F32","shape":"1x2","data_offsets":[0,8]}}' "$F8"
bi_st $BD/9d.safetensors '{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/negdim.safetensors '{"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/fracdim.safetensors '{"w":{"dtype":"F32","shape":[1.5,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/off3.safetensors '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,4,8]}}' "$F8"
bi_st $BD/offrev.safetensors '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[8,0]}}' "$F8"
bi_st $BD/offrange.safetensors '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}' "$F8"
bi_st $BD/overlap.safetensors \
    '{"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[2,6]}}' "$F8"
bi_st $BD/size.safetensors '{"w":{"dtype":"F32","shape":[1,3],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/nan.safetensors '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}' '\x00\x00\x80\x3f\x00\x00\xc0\x7f'
bi_st $BD/inf.safetensors '{"w":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}' '\x80\x7f\x80\x3f'
bi_st $BD/1d.safetensors '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/dup.safetensors \
    '{"w":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8]}}' "$F8"
printf '{"weight_map": ' >$BD/badjson.index.json
printf '{"weight_map":{"w":"../good.safetensors"}}' >$BD/slash.index.json
printf '{"weight_map":{"w":"good.safetensors","v":"good.safetensors"}}' >$BD/missing.index.json
printf '{"weight_map":{}}' >$BD/empty.index.json
printf '{"weight_map":{"w":"nope.safetensors"}}' >$BD/noshard.index.json
bi_st $BD/cal3d.safetensors '{"x":{"dtype":"F32","shape":[1,1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/feat8.safetensors '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}' "$F8"
bi_st $BD/tok1.safetensors '{"w":{"dtype":"F32","shape":[1,64],"data_offsets":[0,256]}}' \
    "$(for i in $(seq 64); do printf '\\x00\\x00\\x80\\x3f'; done)"
printf 'garbage\tweights\n' >$BD/w.tsv
echo '{ "name": "x", "top": "t" }' >$BD/manifest-nope.json
echo '{ "name": "x", ' >$BD/manifest-trunc.json
# images: a good 64x64 mxfp4 image, then one corruption per file
build/bin/mxquant quantize --format mxfp4 --in $BD/good.safetensors --out $BD/good.img >/dev/null
bi_img() { cp $BD/good.img $BD/$1.img && bi_poke $BD/$1.img "$2" "$3"; }
bi_img magic 0 'Z'
bi_img version 8 '\x02'
bi_img hlen 12 '\x10\x00\x00\x00'
bi_img hcrc 40 'q'
bi_img ccrc 200 '\x5a'
bi_img specid 24 '\x07'
cp $BD/good.img $BD/cut.img && truncate -s 150 $BD/cut.img
cp $BD/good.img $BD/head20.img && truncate -s 20 $BD/head20.img
cp $BD/good.img $BD/trail.img && head -c 64 /dev/zero >>$BD/trail.img
cp $BD/good.img $BD/trailnz.img && printf 'x' >>$BD/trailnz.img
: >$BD/empty.img

echo "== bad input: every tool, every file format (docs/bad-input.md)"
# ---- mxquant: usage ----
bi mxq-no-command 2 "usage: mxquant COMMAND" $MXQ
bi mxq-unknown-command 2 "unknown command 'frobnicate'" $MXQ frobnicate
bi mxq-help-unknown 2 "mxquant help: unknown command 'nope'" $MXQ help nope
bi_noout mxq-unknown-option 2 "unknown or incomplete option '--arary'" $O $MXQ quantize --arary 3
bi_noout mxq-option-no-value 2 "unknown or incomplete option '--format'" $O $MXQ quantize --out $O --format
bi_noout mxq-no-format 2 "give exactly one --format SPEC" $O $MXQ quantize --model opt-125m --out $O
bi_noout mxq-two-formats 2 "give exactly one --format SPEC" $O $MXQ quantize --format mxfp4 --format mxint4 --model opt-125m --out $O
bi mxq-no-out 2 "--out IMAGE is required" $MXQ quantize --format mxfp4 --model opt-125m
bi_noout mxq-model-and-in 2 "give exactly one of --model NAME or --in FILE" $O $MXQ quantize --format mxfp4 --model opt-125m --in $BD/good.safetensors --out $O
bi_noout mxq-stray-argument 2 "unexpected argument" $O $MXQ quantize --format mxfp4 --model opt-125m --out $O extra
# ---- format specs ----
bi_noout spec-unknown 2 "format=mxfp3: unknown format (known:" $O $MXQ quantize --format mxfp3 --model opt-125m --out $O
bi_noout spec-empty 2 "format: empty" $O $MXQ quantize --format "" --model opt-125m --out $O
bi_noout spec-duplicate-key 2 "microscopiq2: parameter 'sigma' given twice" $O $MXQ quantize --format microscopiq2:sigma=3,sigma=4 --model opt-125m --out $O
bi_noout spec-not-key-value 2 "mxfp4: parameter 'block' is not key=value" $O $MXQ quantize --format mxfp4:block --model opt-125m --out $O
bi_noout spec-unknown-key 2 "mxfp4" $O $MXQ quantize --format mxfp4:colour=red --model opt-125m --out $O
bi_noout spec-bad-value 2 "block" $O $MXQ quantize --format mxfp4:block=abc --model opt-125m --out $O
bi_noout spec-fineq-group 2 "not a multiple of 3" $O $MXQ quantize --format fineq:group=64 --model opt-125m --out $O
bi_noout spec-too-long 2 "format: spec too long" $O $MXQ quantize --format "mxfp4:$(printf 'x%.0s' $(seq 600))" --model opt-125m --out $O
bi_noout spec-too-many-formats 2 "too many --format options" $BD/r.json $MXQ report --model opt-125m $(for i in $(seq 17); do printf -- '--format mxfp4 '; done) --json $BD/r.json
# ---- model zoo, numbers ----
bi_noout mxq-unknown-model 2 "--model=gpt-9: unknown model (known: opt-125m" $O $MXQ quantize --format mxfp4 --model gpt-9 --out $O
bi_noout mxq-bad-seed 2 "--seed" $O $MXQ quantize --format mxfp4 --model opt-125m --seed x1 --out $O
bi_noout mxq-layers-range 2 "--layers=12: out of range" $O $MXQ quantize --format mxfp4 --model opt-125m --layers 12 --out $O
bi_noout mxq-layers-abc 2 "--layers" $O $MXQ quantize --format mxfp4 --model opt-125m --layers abc --out $O
bi_noout mxq-tensors-with-model 2 "--tensors goes with --in" $O $MXQ quantize --format mxfp4 --model opt-125m --tensors w --out $O
bi_noout mxq-layers-with-in 2 "--layers goes with --model" $O $MXQ quantize --format mxfp4 --in $BD/good.safetensors --layers 0 --out $O
bi_noout mxq-calib-tokens-0 2 "--calib-tokens=0: out of range" $O $MXQ quantize --format microscopiq2 --model opt-125m --calib-tokens 0 --out $O
bi_noout mxq-calib-and-tokens 2 "--calib-tokens goes with synthetic calibration" $O $MXQ quantize --format microscopiq2 --model opt-125m --calib $BD/good.safetensors --calib-tokens 8 --out $O
# ---- output paths: refused before any work ----
bi_noout out-missing-dir 2 "output directory '$BD/nodir' does not exist" $BD/nodir/x.img $MXQ quantize --format mxfp4 --model opt-125m --out $BD/nodir/x.img
bi mxq-out-is-dir 2 "$BD/dir: output is a directory" $MXQ quantize --format mxfp4 --model opt-125m --out $BD/dir
bi mxq-out-trailing-slash 2 "output is a directory" $MXQ quantize --format mxfp4 --model opt-125m --out $BD/x/
bi_noout dequant-out-missing-dir 2 "does not exist" $BD/nodir/x.st $MXQ dequant $BD/good.img --out $BD/nodir/x.st
bi dequant-out-is-dir 2 "output is a directory" $MXQ dequant $BD/good.img --out $BD/dir
bi_noout report-json-missing-dir 2 "output directory '$BD/nodir' does not exist" $BD/nodir/r.json $MXQ report --model opt-125m --json $BD/nodir/r.json
bi report-csv-is-dir 2 "output is a directory" $MXQ report --model opt-125m --csv $BD/dir
bi_noout report-json-csv-same 2 "--json and --csv name the same file" $BD/r.json $MXQ report --model opt-125m --json $BD/r.json --csv $BD/r.json
# ---- report numbers ----
bi_noout report-tokens-0 2 "--tokens=0: out of range (expected 1..65536)" $BD/r.json $MXQ report --model opt-125m --tokens 0 --json $BD/r.json
bi report-tokens-abc 2 "--tokens" $MXQ report --model opt-125m --tokens abc
bi report-tokens-big 2 "--tokens=70000: out of range" $MXQ report --model opt-125m --tokens 70000
# ---- safetensors (weights: --in; calibration: --calib goes through the same reader) ----
bi_noout st-shape-overflow 2 "overflow.safetensors: tensor 'w': shape too large" $O $MXQ quantize --format mxfp4 --in $BD/overflow.safetensors --out $O
bi st-shape-overflow-report 2 "shape too large" $MXQ report --in $BD/overflow.safetensors
bi_noout st-shape-overflow-4d 2 "overflow4d.safetensors: tensor 'w': shape too large" $O $MXQ quantize --format mxfp4 --in $BD/overflow4d.safetensors --out $O
bi_noout st-truncated 2 "trunc.safetensors: truncated: 3 bytes" $O $MXQ quantize --format mxfp4 --in $BD/trunc.safetensors --out $O
bi_noout st-empty 2 "empty.safetensors: truncated: 0 bytes" $O $MXQ quantize --format mxfp4 --in $BD/empty.safetensors --out $O
bi_noout st-header-beyond 2 "header length 255 beyond the file" $O $MXQ quantize --format mxfp4 --in $BD/hlen.safetensors --out $O
bi_noout st-invalid-json 2 "badjson.safetensors: header: invalid JSON" $O $MXQ quantize --format mxfp4 --in $BD/badjson.safetensors --out $O
bi_noout st-json-array 2 "invalid JSON (expected an object of tensors)" $O $MXQ quantize --format mxfp4 --in $BD/array.safetensors --out $O
bi_noout st-entry-not-object 2 "tensor 'w': entry is not an object" $O $MXQ quantize --format mxfp4 --in $BD/notobj.safetensors --out $O
bi_noout st-no-dtype 2 "tensor 'w': dtype missing or not a string" $O $MXQ quantize --format mxfp4 --in $BD/nodtype.safetensors --out $O
bi_noout st-dtype-i32 2 "tensor 'w': dtype I32 unsupported (F32, F16, BF16)" $O $MXQ quantize --format mxfp4 --in $BD/i32.safetensors --out $O
bi_noout st-shape-string 2 "tensor 'w': shape missing, not an array" $O $MXQ quantize --format mxfp4 --in $BD/shapestr.safetensors --out $O
bi_noout st-shape-9d 2 "over 8 dims" $O $MXQ quantize --format mxfp4 --in $BD/9d.safetensors --out $O
bi_noout st-shape-negative 2 "tensor 'w': shape[0] is not a valid dimension" $O $MXQ quantize --format mxfp4 --in $BD/negdim.safetensors --out $O
bi_noout st-shape-fraction 2 "tensor 'w': shape[0] is not a valid dimension" $O $MXQ quantize --format mxfp4 --in $BD/fracdim.safetensors --out $O
bi_noout st-offsets-three 2 "data_offsets must be [begin, end] integers" $O $MXQ quantize --format mxfp4 --in $BD/off3.safetensors --out $O
bi_noout st-offsets-reversed 2 "data_offsets [8, 0) out of range" $O $MXQ quantize --format mxfp4 --in $BD/offrev.safetensors --out $O
bi_noout st-offsets-range 2 "data_offsets [0, 16) out of range" $O $MXQ quantize --format mxfp4 --in $BD/offrange.safetensors --out $O
bi_noout st-overlap 2 "tensors 'a' and 'b': data_offsets overlap" $O $MXQ quantize --format mxfp4 --in $BD/overlap.safetensors --out $O
bi_noout st-size-mismatch 2 "shape [1,3] F32 needs 12 bytes, data_offsets give 8" $O $MXQ quantize --format mxfp4 --in $BD/size.safetensors --out $O
bi_noout st-nan 2 "tensor 'w': element 1 is NaN" $O $MXQ quantize --format mxfp4 --in $BD/nan.safetensors --out $O
bi_noout st-inf-bf16 2 "tensor 'w': element 0 is Inf" $O $MXQ quantize --format mxfp4 --in $BD/inf.safetensors --out $O
bi_noout st-no-2d 2 "no 2-D tensors to quantize" $O $MXQ quantize --format mxfp4 --in $BD/1d.safetensors --out $O
bi_noout st-tensor-1d 2 "tensor 'w': 1-D, only 2-D weights" $O $MXQ quantize --format mxfp4 --in $BD/1d.safetensors --tensors w --out $O
bi_noout st-tensors-unknown 2 "--tensors: no tensor named 'v'" $O $MXQ quantize --format mxfp4 --in $BD/good.safetensors --tensors w,v --out $O
bi_noout st-duplicate-name 2 "tensor 'w': defined twice" $O $MXQ quantize --format mxfp4 --in $BD/dup.safetensors --out $O
bi_noout st-directory 2 "dir: not a regular file" $O $MXQ quantize --format mxfp4 --in $BD/dir --out $O
bi_noout st-dev-zero 2 "/dev/zero: not a regular file" $O $MXQ quantize --format mxfp4 --in /dev/zero --out $O
bi_noout st-missing 2 "nope.safetensors: cannot open" $O $MXQ quantize --format mxfp4 --in $BD/nope.safetensors --out $O
bi_noout calib-missing 2 "nope.safetensors: cannot open" $O $MXQ quantize --format microscopiq2 --model opt-125m --calib $BD/nope.safetensors --out $O
bi_noout calib-overflow 2 "overflow.safetensors: tensor 'w': shape too large" $O $MXQ quantize --format microscopiq2 --in $BD/good.safetensors --calib $BD/overflow.safetensors --out $O
bi_noout calib-not-2d 2 "no calibration tensor 'w'" $O $MXQ quantize --format microscopiq2:mode=gptq --in $BD/good.safetensors --calib $BD/cal3d.safetensors --out $O
bi_noout calib-features 2 "calibration tensor 'w': 2 features, the weight 'w' has 64 inputs" $O $MXQ quantize --format microscopiq2:mode=gptq --in $BD/good.safetensors --calib $BD/feat8.safetensors --out $O
bi_noout report-eval-features 2 "evaluation tensor 'w': 2 features, the weight 'w' has 64 inputs" $BD/r.json $MXQ report --in $BD/good.safetensors --format mxint4 --eval $BD/feat8.safetensors --json $BD/r.json
bi_noout report-eval-missing 2 "nope.safetensors: cannot open" $BD/r.json $MXQ report --in $BD/good.safetensors --format mxint4 --eval $BD/nope.safetensors --json $BD/r.json
bi_noout report-calib-one-token 2 "has 1 token(s): at least 2 are needed to hold out half" $BD/r.json $MXQ report --in $BD/good.safetensors --format mxint4 --calib $BD/tok1.safetensors --json $BD/r.json
bi_noout report-tokens-with-calib 2 "--tokens sets synthetic evaluation tokens" $BD/r.json $MXQ report --in $BD/good.safetensors --format mxint4 --calib $BD/good.safetensors --tokens 8 --json $BD/r.json
# ---- sharded index ----
bi_noout index-invalid-json 2 "invalid JSON or no \"weight_map\" object" $O $MXQ quantize --format mxfp4 --in $BD/badjson.index.json --out $O
bi_noout index-shard-path 2 "weight_map['w']: not a file name in the index's directory" $O $MXQ quantize --format mxfp4 --in $BD/slash.index.json --out $O
bi_noout index-missing-tensor 2 "weight_map['v']: tensor not found" $O $MXQ quantize --format mxfp4 --in $BD/missing.index.json --out $O
bi_noout index-empty 2 "weight_map is empty" $O $MXQ quantize --format mxfp4 --in $BD/empty.index.json --out $O
bi_noout index-shard-missing 2 "nope.safetensors: cannot open" $O $MXQ quantize --format mxfp4 --in $BD/noshard.index.json --out $O
# ---- images: inspect / check / dequant ----
bi img-dev-zero-inspect 2 "/dev/zero: magic: not a weight image" $MXQ inspect /dev/zero
bi img-dev-zero-check 2 "/dev/zero: magic: not a weight image" $MXQ check /dev/zero
bi_noout img-dev-zero-dequant 2 "/dev/zero: magic" $BD/d.st $MXQ dequant /dev/zero --out $BD/d.st
bi img-empty 2 "empty.img: magic: not a weight image" $MXQ inspect $BD/empty.img
bi img-directory 2 "dir: is a directory, not a weight image" $MXQ inspect $BD/dir
bi img-missing 2 "nope.img: cannot open" $MXQ check $BD/nope.img
bi img-bad-magic 2 "magic.img: magic: not a weight image" $MXQ check $BD/magic.img
bi img-version 2 "version.img: version: 2 unsupported" $MXQ check $BD/version.img
bi img-header-len 2 "hlen.img: header_len: 16 beyond the file" $MXQ inspect $BD/hlen.img
bi img-header-crc 2 "hcrc.img: header_crc: stored" $MXQ check $BD/hcrc.img
bi img-codes-crc 2 "ccrc.img: tensor 'w': codes_crc: stored" $MXQ check $BD/ccrc.img
bi img-fixed-header-cut 2 "head20.img: header: truncated (20 bytes)" $MXQ inspect $BD/head20.img
bi img-section-cut 2 "beyond the end of the file (150 bytes): truncated" $MXQ check $BD/cut.img
bi img-trailing-zero 2 "file_len: header says 2304 bytes, file has 2368 (trailing bytes)" $MXQ check $BD/trail.img
bi img-trailing-byte 2 "padding: byte at offset 2304 is 0x78" $MXQ check $BD/trailnz.img
bi_noout img-dequant-bad 2 "codes_crc" $BD/d.st $MXQ dequant $BD/ccrc.img --out $BD/d.st
bi img-check-no-image 2 "usage: mxquant check IMAGE" $MXQ check
bi img-inspect-two 2 "usage: mxquant inspect IMAGE" $MXQ inspect $BD/good.img $BD/good.img
bi img-dequant-no-out 2 "usage: mxquant dequant IMAGE --out" $MXQ dequant $BD/good.img
bi img-check-unknown-model 2 "--model=gpt-9: unknown model" $MXQ check $BD/good.img --model gpt-9
# ---- the other codes of the contract: 1 a check found a mismatch, 3 out of memory ----
bi check-mismatch 1 "MISMATCH w: decoded weight [0][0]" $MXQ check $BD/good.img --in $BD/other.safetensors
bi_noout oom-report 3 "out of memory" $BD/r.json bash -c "ulimit -v 400000; exec build/bin/mxquant report --model llama-2-7b --format mxfp4 --json $BD/r.json"
# ---- mxfzoo ----
bi zoo-no-args 2 "usage: mxfzoo list" $ZOO
bi zoo-unknown-command 2 "usage: mxfzoo list" $ZOO frobnicate
bi zoo-unknown-option 2 "mxfzoo: unknown option '--bogus'" $ZOO --bogus
bi zoo-unknown-model 2 "MODEL=gpt-9: unknown model" $ZOO show gpt-9
bi zoo-bad-seed 2 "SEED=x1: not an unsigned integer" $ZOO check opt-125m x1
# ---- synth_report ----
bi sr-no-args 2 "usage: synth_report manifest" $SR
bi sr-unknown-option 2 "unknown option --bogus" $SR report --bogus x
bi sr-missing-value 2 "--stat: missing value" $SR report --weights synth/ge_weights.tsv --stat
bi sr-missing-required 2 "report needs --weights, --stat and --top" $SR report --stat x.json
bi sr-stray-argument 2 "unexpected argument 'extra'" $SR report --weights synth/ge_weights.tsv --stat x.json --top t extra
bi_noout sr-json-missing-dir 2 "output directory '$BD/nodir' does not exist" $BD/nodir/s.json $SR report --weights synth/ge_weights.tsv --stat $BD/nope.json --top t --json $BD/nodir/s.json
bi sr-txt-is-dir 2 "output is a directory" $SR report --weights synth/ge_weights.tsv --stat $BD/nope.json --top t --txt $BD/dir
bi sr-stat-dev-zero 2 "/dev/zero: over the 268435456-byte limit" $SR report --weights synth/ge_weights.tsv --stat /dev/zero --top t
bi sr-weights-garbage 2 "w.tsv:1: expected 4 TAB-separated fields" $SR report --weights $BD/w.tsv --stat $BD/nope.json --top t
bi sr-manifest-missing 2 "nope.json: cannot open" $SR manifest $BD/nope.json
bi sr-manifest-invalid 2 "manifest-trunc.json: invalid JSON" $SR manifest $BD/manifest-trunc.json
bi sr-manifest-field 2 "field 'pe' missing or not a plain name" $SR manifest $BD/manifest-nope.json
bi sr-manifest-directory 2 "dir: is a directory" $SR manifest $BD/dir

# ---- help: every tool accepts help, --help and -h (usage on stdout, exit 0) ----
bi_help() {
    local t=$1 h out
    for h in help --help -h; do
        out=$("$t" $h 2>/dev/null) || { echo "$t $h: exit $?"; return 1; }
        grep -q "usage" <<<"$out" || { echo "$t $h: no usage on stdout"; return 1; }
    done
    out=$($MXQ quantize --help) && grep -q "usage: mxquant quantize" <<<"$out"
}
for t in "$MXQ" "$ZOO" "$SR" build/bin/mxfcompare; do run "badinput/help-$(basename "$t")" bi_help "$t"; done

# Every row is in the table of docs/bad-input.md with the exit code the suite checked and a
# message holding the text the suite matched ($BD written as such), and the table has at least
# 60 rows.
bi_doc_complete() {
    local n code pat ok=0 rows line dmsg rest dcode
    rows=$(wc -l <"$BI_TABLE")
    echo "$rows rows"
    ((rows >= 60)) || { echo "fewer than 60 rows"; ok=1; }
    while IFS=$'\t' read -r n code pat _; do
        line=$(grep -m1 "^| \`$n\` |" docs/bad-input.md) || { echo "row $n missing from docs/bad-input.md"; ok=1; continue; }
        dmsg=${line% |}
        dmsg=${dmsg##* | }
        rest=${line% | *}
        dcode=${rest##* | }
        [[ $dcode == "$code" ]] || { echo "row $n: docs/bad-input.md says exit $dcode, the suite checks $code"; ok=1; }
        pat=${pat//$BD/\$BD}
        grep -qF -- "$pat" <<<"$dmsg" ||
            { echo "row $n: docs/bad-input.md message $dmsg does not hold the checked text: $pat"; ok=1; }
    done <"$BI_TABLE"
    return $ok
}
run "badinput/doc-table-complete" bi_doc_complete

# ---- fuzzing: replay the checked-in corpora (seeds + regression inputs), ~5 s per target ----
bi_fuzz_short() {
    if ! command -v clang-14 >/dev/null ||
        ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
        echo "SKIP: clang-14 / libFuzzer runtime (Debian libclang-rt-14-dev) not installed;" \
            "scripts/setup.sh installs it when run as root"
        return 0
    fi
    make -s fuzz-short
}
run "badinput/fuzz-short" bi_fuzz_short
