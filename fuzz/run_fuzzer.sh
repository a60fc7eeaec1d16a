#!/usr/bin/env bash
# Fuzzes the model loader (fuzz/fuzz_model_loader.cc) with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
#   fuzz/run_fuzzer.sh [seconds=300] [jobs=1]
#
# Needs clang with libFuzzer (Debian: apt-get install clang) and the Python package built in
# place (python setup.py build_ext --inplace), which writes the seed models. Builds a
# sanitized libtensorlib into build/fuzz (apart from the normal build), keeps the corpus in
# build/fuzz/corpus and writes any crashing input to build/fuzz/crash-*. Replay one with
#   build/fuzz/fuzz_model_loader build/fuzz/crash-<hash>
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_SECONDS=${1:-300}
JOBS=${2:-1}
BUILD=$ROOT/build/fuzz
SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTENSORLIB_CUDA=OFF \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$SANITIZE -fsanitize=fuzzer-no-link" > /dev/null
cmake --build "$BUILD" -j "$(nproc)"
clang++ -std=c++17 -O1 $SANITIZE -fsanitize=fuzzer -I"$ROOT/include" \
  "$ROOT/fuzz/fuzz_model_loader.cc" -L"$BUILD" -ltensorlib -Wl,-rpath,"$BUILD" \
  -o "$BUILD/fuzz_model_loader"

mkdir -p "$BUILD/seeds" "$BUILD/corpus"
PYTHONPATH=$ROOT python "$ROOT/fuzz/make_seed_corpus.py" "$BUILD/seeds"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$BUILD"
./fuzz_model_loader -max_total_time="$RUN_SECONDS" -jobs="$JOBS" -workers="$JOBS" \
  -max_len=65536 -artifact_prefix="$BUILD/" corpus seeds
