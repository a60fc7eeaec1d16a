#!/usr/bin/env bash
# Fuzzes the model loader (fuzz/fuzz_model_loader.cc) with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
#   fuzz/run_fuzzer.sh [seconds=300] [jobs=1]
#
# Needs clang with libFuzzer (Debian: apt-get install clang) and the Python package built in
# place (python setup.py build_ext --inplace), which writes the seed models. Compiles the core
# with sanitizers and coverage into build/fuzz (apart from the normal build), keeps the corpus
# in build/fuzz/corpus and writes any crashing input to build/fuzz/crash-*. Replay one with
#   build/fuzz/fuzz_model_loader build/fuzz/crash-<hash>
# and, once fixed, keep it in tests/fixtures/fuzz/model_loader/ (named after what it found):
# tests/test_fuzz_corpus.py replays that corpus in every run of the suite.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_SECONDS=${1:-300}
JOBS=${2:-1}
BUILD=$ROOT/build/fuzz
SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CXXFLAGS="-std=c++17 -O1 -g -fno-math-errno -fPIC -I$ROOT/include -I$ROOT/src -I$ROOT"
mkdir -p "$BUILD/obj" "$BUILD/seeds" "$BUILD/corpus"

# One object per source, rebuilt when it or any header is newer. NOTE: the few kernel files
# that clang cannot compile (GCC-only vector code) are built with g++ without instrumentation;
# the loader never runs kernels, only shape functions.
newest_header=$(ls -t "$ROOT"/include/tensorlib/*.h "$ROOT"/src/ops/*.h | head -1)
compile() {
  local src=$1 obj=$2
  if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$newest_header" ]; then return; fi
  if ! clang++ $CXXFLAGS $SANITIZE -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2> "$obj.log"; then
    echo "note: $src built with g++, without sanitizers (clang cannot compile it)"
    g++ $CXXFLAGS -O2 -c "$src" -o "$obj"
  fi
}
export -f compile
export CXXFLAGS SANITIZE newest_header
for src in "$ROOT"/src/*.cc "$ROOT"/src/ops/*.cc "$ROOT"/src/data/*.cc; do
  rel=${src#"$ROOT"/src/}
  echo "$src" "$BUILD/obj/${rel//\//_}.o"
done | xargs -P "$(nproc)" -n 2 bash -c 'compile "$0" "$1"'
clang++ $CXXFLAGS $SANITIZE -fsanitize=fuzzer "$ROOT/fuzz/fuzz_model_loader.cc" \
  "$BUILD"/obj/*.o -lpthread -o "$BUILD/fuzz_model_loader"

PYTHONPATH=$ROOT python "$ROOT/fuzz/make_seed_corpus.py" "$BUILD/seeds"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
PARALLEL=()
if [ "$JOBS" -gt 1 ]; then PARALLEL=(-jobs="$JOBS" -workers="$JOBS"); fi
cd "$BUILD"
./fuzz_model_loader -max_total_time="$RUN_SECONDS" "${PARALLEL[@]}" -max_len=65536 \
  -artifact_prefix="$BUILD/" corpus seeds "$ROOT/tests/fixtures/fuzz/model_loader"
