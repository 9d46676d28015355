#!/usr/bin/env bash
# Rebuild every XDP program in progs/src/ into progs/build/<name>.o.
#
#   progs/build.sh           rebuild all objects in place
#   progs/build.sh --check   rebuild into a temp dir and fail if any committed object differs
#
# The objects are committed so that tests run without clang. The build is deterministic: run from
# progs/ with relative paths and a fixed DWARF compilation dir, so the bytes do not depend on where
# the repository is checked out. A rebuilt object changes its sha256, and the golden files recorded
# from the kernel for it must then be re-recorded (XDPCHAIN_RECORD_GOLDEN=1 npx vitest run test/differential).
set -euo pipefail
cd "$(dirname "$0")"

CLANG="${CLANG:-clang}"
# <asm/types.h> lives in the multiarch include dir, which clang's BPF target does not search.
MULTIARCH_INCLUDE="/usr/include/$(uname -m)-linux-gnu"
CFLAGS=(-O2 -g -target bpf -Wall -Werror -Iinclude "-I$MULTIARCH_INCLUDE" -fdebug-compilation-dir=.)

out=build
if [[ "${1:-}" == "--check" ]]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

for src in src/*.c; do
  name="$(basename "$src" .c)"
  "$CLANG" "${CFLAGS[@]}" -c "$src" -o "$out/$name.o"
done

if [[ "${1:-}" == "--check" ]]; then
  status=0
  for obj in "$out"/*.o; do
    name="$(basename "$obj")"
    if ! cmp -s "$obj" "build/$name"; then
      echo "progs/build/$name differs from a fresh build of progs/src/${name%.o}.c" >&2
      status=1
    fi
  done
  for obj in build/*.o; do
    [[ -e "$out/$(basename "$obj")" ]] || { echo "progs/$obj has no source" >&2; status=1; }
  done
  exit $status
fi
