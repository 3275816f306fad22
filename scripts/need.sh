#!/usr/bin/env bash
# scripts/need.sh TOOL...: one clear line and exit 127 if a required program is missing.
for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
        echo "mxforge: required tool '$t' not found on PATH; run 'bash scripts/setup.sh' as root (it installs the Debian packages) or see README.md" >&2
        exit 127
    fi
done
