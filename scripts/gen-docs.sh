#!/usr/bin/env bash
# Writes docs/generator.md from mxfgen's own help text: the command table in gen/main.c and each
# registered block's descriptor (gen/blocks/<name>/<name>_block.c) are the source.
#   scripts/gen-docs.sh [OUT]   (default docs/generator.md)
set -euo pipefail
out=${1:-docs/generator.md}
g=build/bin/mxfgen
{
    echo "# mxfgen reference"
    echo
    echo "Generated from \`mxfgen help\` by \`scripts/gen-docs.sh\`; edit the command table in"
    echo "\`gen/main.c\` or a block's descriptor, never this file."
    echo
    echo '```'
    "$g" help
    echo '```'
    for c in $("$g" help | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}'); do
        echo
        echo "## mxfgen $c"
        echo
        echo '```'
        "$g" help "$c"
        echo '```'
    done
    for b in $("$g" help | awk '/^blocks/{f=1;next} /^$/{f=0} f{print $1}'); do
        echo
        echo "## block $b"
        echo
        echo '```'
        "$g" help "$b"
        echo '```'
    done
} >"$out.tmp"
mv "$out.tmp" "$out"
