#!/usr/bin/env bash
# Rebuild the benchmark's own programs (bench/progs/*.c → *.o, committed) with progs/build.sh's flags.
set -euo pipefail
cd "$(dirname "$0")"
MULTIARCH_INCLUDE="/usr/include/$(uname -m)-linux-gnu"
for src in *.c; do
  "${CLANG:-clang}" -O2 -g -target bpf -Wall -Werror "-I$MULTIARCH_INCLUDE" -fdebug-compilation-dir=. -c "$src" -o "${src%.c}.o"
done
