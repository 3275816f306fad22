# Docs suite (sourced by tests/run.sh): no file points outside the repository, and every relative
# link and repo path named in docs/*.md and README.md exists. Needs no build; about 1 s.

# The project's files (tracked ones, plus new files not yet committed and not ignored), one per
# line; files deleted from the work tree but still in the index are left out.
docs_files() {
    local f
    git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
        [[ -f $f ]] && printf '%s\n' "$f"
    done
}

# docs_no_outside_refs: no file names a path under the shared folder beside the repository or a
# file of its notes. The patterns are assembled from pieces so that this file does not match them.
docs_no_outside_refs() {
    local s=shared md=md a=architecture
    local names="microscopiq|fineq|nxfp_mx|toolchain|$a-sketch"
    local pat="$s/notes|\.\./$s|(^|[^-a-z])($names)\.$md"
    local hits
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git work tree"; return 1; }
    hits=$(docs_files | tr '\n' '\0' | xargs -0 -r grep -InE -- "$pat")
    if [[ -n $hits ]]; then
        echo "references to files outside the repository (put the fact into the project's docs, e.g."
        echo "docs/sources.md or tests/vectors/README.md, and point there):"
        echo "$hits"
        return 1
    fi
    echo "no outside references in $(docs_files | wc -l) files"
}

# docs_paths FILE: "LINE<TAB>KIND<TAB>PATH" for every relative markdown link (KIND link, relative
# to FILE's folder) and every backquoted repo path ending in .c .h .md .sh .def .tsv .ys (KIND
# path, relative to the repository root) outside fenced code blocks. build/ paths and patterns
# (with <, * or $) are skipped.
docs_paths() {
    awk '
        /^[ \t]*```/ { fence = !fence; next }
        fence { next }
        {
            line = $0
            while (match(line, /\]\([^)]*\)/)) {
                t = substr(line, RSTART + 2, RLENGTH - 3)
                line = substr(line, RSTART + RLENGTH)
                sub(/[ \t]+".*$/, "", t)
                sub(/#.*$/, "", t)
                if (t == "" || t ~ /^[a-z]+:/ || t ~ /[<*$]/ || t ~ /^(\.\/)?build\//) continue
                printf "%d\tlink\t%s\n", NR, t
            }
            line = $0
            while (match(line, /`[^`]+`/)) {
                span = substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
                n = split(span, tok, /[ \t,;()\[\]{}="'\''|]+/)
                for (i = 1; i <= n; i++) {
                    t = tok[i]
                    sub(/[.:]+$/, "", t)
                    # "dir/x.c/.h" names dir/x.c and dir/x.h
                    m = 1
                    cand[1] = t
                    if (match(t, /\.[a-z]+\/\.[a-z]+$/)) {
                        base = substr(t, 1, RSTART - 1)
                        split(substr(t, RSTART), ext, /\//)
                        cand[1] = base ext[1]
                        cand[2] = base ext[2]
                        m = 2
                    }
                    for (j = 1; j <= m; j++) {
                        t = cand[j]
                        if (t !~ /\// || t !~ /\.(c|h|md|sh|def|tsv|ys)$/) continue
                        if (t ~ /[<*$]/ || t ~ /^(\.\/)?build\//) continue
                        printf "%d\tpath\t%s\n", NR, t
                    }
                }
            }
        }' "$1"
}

# docs_links_resolve: every path docs_paths finds in docs/*.md and README.md exists.
docs_links_resolve() {
    local f ln kind p target bad=0 n=0
    for f in README.md docs/*.md; do
        while IFS=$'\t' read -r ln kind p; do
            n=$((n + 1))
            if [[ $kind == link ]]; then target=$(dirname "$f")/$p; else target=$p; fi
            if [[ ! -e $target ]]; then
                echo "$f:$ln: $kind '$p' does not exist"
                bad=1
            fi
        done < <(docs_paths "$f")
    done
    [[ $bad -eq 0 ]] && echo "$n links and paths checked"
    return $bad
}

# docs_scripts_parse [FILE...]: every shell script parses (bash -n); default: every tracked *.sh.
# (bench/run.sh once failed to parse on `${X:-a'b}` inside double quotes, and make bench with it.)
docs_scripts_parse() {
    local f bad=0 n=0
    local -a files=("$@")
    [[ ${#files[@]} -gt 0 ]] || mapfile -t files < <(docs_files | grep '\.sh$')
    for f in "${files[@]}"; do
        n=$((n + 1))
        bash -n "$f" || { echo "$f: does not parse (bash -n)"; bad=1; }
    done
    [[ $bad -eq 0 ]] && echo "$n shell scripts parse"
    return $bad
}

# The planted fault: a script with a quote inside a parameter default in double quotes.
docs_scripts_parse_catches() {
    local t rc
    t=$(mktemp --suffix=.sh) || return 3
    printf '%s\n' 'echo "${X:-the block'"'"'s own}"' 'if true; then echo x; fi' >"$t"
    docs_scripts_parse "$t" >/dev/null 2>&1
    rc=$?
    rm -f "$t"
    [[ $rc -ne 0 ]] || { echo "a script that does not parse passed"; return 1; }
    echo "a script that does not parse is caught"
}

echo "== docs"
run docs/no-outside-refs docs_no_outside_refs
run docs/links-resolve docs_links_resolve
run docs/scripts-parse docs_scripts_parse
run docs/scripts-parse-catches docs_scripts_parse_catches
