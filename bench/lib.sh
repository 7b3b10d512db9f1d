# Shared by the bench scripts: Debian packages they need, timing and medians.
bench_install() {
  local missing=() tool
  for tool in "$@"; do
    case "$tool" in
      time) [ -x /usr/bin/time ] || missing+=(time) ;;
      *) command -v "$tool" >/dev/null || missing+=("$tool") ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

now() { date +%s.%N; }

# the glibc setting cas's worker runs clang with (HugePageMalloc, CAS_HUGE_PAGES): for plain clang's reference runs
huge_pages_env=GLIBC_TUNABLES=glibc.malloc.hugetlb=1

# wall seconds of a command run quietly; its stderr is shown (and the script stops) when it fails. Needs $work.
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }; t1=$(now); echo "$t1 - $t0" | bc -l; }

# the standard one-function edit of ./sqlite3.c: `k = N` in whereLoopOutputAdjust becomes `k = $1`
sqlite_edit() { python3 - "$1" <<'PY'
import sys
s = open('sqlite3.c').read()
i = s.index('static void whereLoopOutputAdjust(')
j = s.index('k = ', i)
end = s.index(';', j)
open('sqlite3.c', 'w').write(s[:j] + 'k = ' + sys.argv[1] + s[end:])
PY
}

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# the bundled clang, unpacked by the cas toolchain
bundled_clang() { find ~/.javacpp/cache -path '*llvm/linux-x86_64/clang' -type f | head -1; }

# a corpus kept in the repository (testdata/NAME.tar.gz), unpacked once under $TMPDIR; prints the unpacked directory
testdata() {
  local name="$1" dest="${TMPDIR:-/tmp}/cas-testdata"
  if [ ! -d "$dest/$name" ]; then
    mkdir -p "$(dirname "$dest/$name")"
    local partial; partial="$(mktemp -d "$dest/.partial.XXXXXX")"
    tar -xzf "$root/testdata/$name.tar.gz" -C "$partial" && mv "$partial" "$dest/$name"
  fi
  local inner; inner="$(ls "$dest/$name")"
  echo "$dest/$name/$inner"
}

# waits until the cas worker (launcher $1) has no unit left to split in the background: after a parallel cold build,
# units built whole are split when the worker is idle, which would otherwise run beside the next measurement
cas_settle() {
  local launcher="$1" waiting
  for _ in $(seq 1200); do
    waiting=$("$launcher" stats --json 2>/dev/null | grep -o '"function.deferred.waiting": [0-9]*' | grep -o '[0-9]*$' || true)
    [ "${waiting:-0}" = 0 ] && return 0
    sleep 0.5
  done
  echo "cas worker still splitting after 10 minutes" >&2
  return 1
}

# Set-up shared by the scripts that compare plain clang, ccache and cas-compile on real projects: builds the launcher,
# makes $work (removed on exit, the worker stopped), links the bundled clang as $work/bin/clang and clang++, and gives
# cas and ccache caches of their own in it. Sets launcher and work.
compare_tools_setup() {
  launcher="$root/bin/cas-compile"
  "$launcher" --version >/dev/null   # builds the launcher and unpacks the bundled toolchain on first use
  work="$(mktemp -d)"
  trap '"$launcher" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  mkdir -p "$work/bin"
  ln -s "$(bundled_clang)" "$work/bin/clang"
  ln -s "$(bundled_clang)" "$work/bin/clang++"
  export CAS_CACHE_DIR="$work/cas-cache" CCACHE_DIR="$work/ccache"
  unset CAS_PER_FUNCTION CAS_VERIFY
}

# the one-function edit: a compiler barrier put in FILE after TEXT (the end of TEXT when it is a statement, else the
# next opening brace)
insert_barrier() {
  python3 - "$1" "$2" <<'EOF'
import sys
path, line = sys.argv[1], sys.argv[2]
text = open(path).read()
at = text.index(line)
end = at + len(line) - 1 if line.endswith(";") else text.index("{", at + len(line) - 1)
open(path, "w").write(text[:end + 1] + '\n    __asm__ __volatile__("" ::: "memory");' + text[end + 1:])
EOF
}
