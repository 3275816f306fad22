#!/usr/bin/env bash
# Writes docs/generator.md from mxfgen's own help text (the table in gen/main.c is the source).
#   scripts/gen-docs.sh [OUT]   (default docs/generator.md)
set -euo pipefail
out=${1:-docs/generator.md}
g=build/bin/mxfgen
{
    echo "# mxfgen reference"
    echo
    echo "Generated from \`mxfgen help\` by \`scripts/gen-docs.sh\`; edit the table in \`gen/main.c\`."
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
} >"$out.tmp"
mv "$out.tmp" "$out"
