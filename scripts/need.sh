#!/usr/bin/env bash
# scripts/need.sh TOOL...: one clear line with the exact install command, and exit 127, if a
# required program is missing. Every tool here is the Debian package of the same name.
for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
        echo "mxforge: required tool '$t' not found on PATH; install it with 'sudo apt-get install $t' (or run 'bash scripts/setup.sh' as root, which installs everything)" >&2
        exit 127
    fi
done
