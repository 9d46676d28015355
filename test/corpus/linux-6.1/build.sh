#!/usr/bin/env bash
# Build the XDP programs of the Linux 6.1 BPF selftests from Debian's linux-source-6.1 package, as
# their Makefile builds them (tools/testing/selftests/bpf: clang -g -O2 --target=bpf -mcpu=v3
# -D__TARGET_ARCH_x86, vmlinux.h of the kernel they run on, libbpf's headers), into build/obj/.
# The sources stay in build/ (not in this repository); manifest.json says how each program is run.
#
#   test/corpus/linux-6.1/build.sh [TARBALL]     default /usr/src/linux-source-6.1.tar.xz
#
# Needs: apt-get install linux-source-6.1 clang llvm bpftool libbpf-dev
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TARBALL="${1:-/usr/src/linux-source-6.1.tar.xz}"
OUT="$HERE/build"
[[ -f "$TARBALL" ]] || { echo "build.sh: ENOENT: $TARBALL (apt-get install linux-source-6.1)" >&2; exit 2; }
for tool in clang bpftool tar; do command -v "$tool" >/dev/null || { echo "build.sh: $tool not found (apt-get install clang llvm bpftool)" >&2; exit 2; }; done
[[ -f /usr/include/bpf/bpf_helpers.h ]] || { echo "build.sh: libbpf headers not found (apt-get install libbpf-dev)" >&2; exit 2; }

# Every object the manifest names, by source file name.
mapfile -t NAMES < <(sed -n 's#.*"object": "build/obj/\(.*\)\.o".*#\1#p' "$HERE/manifest.json")

rm -rf "$OUT" && mkdir -p "$OUT/obj" "$OUT/include"
SRC=linux-source-6.1/tools/testing/selftests/bpf
echo "extracting ${#NAMES[@]} selftest programs and their headers from $TARBALL"
tar -xJf "$TARBALL" -C "$OUT" --wildcards "$SRC/progs/*" "$SRC/*.h" 'linux-source-6.1/tools/include/uapi/*' 'linux-source-6.1/LICENSES/*'

bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$OUT/include/vmlinux.h"
CFLAGS=(-g -O2 -target bpf -mcpu=v3 -mlittle-endian -D__TARGET_ARCH_x86 -Wno-compare-distinct-pointer-types
  -I"$OUT/include" -I"$OUT/$SRC" -I"$OUT/linux-source-6.1/tools/include/uapi" -I/usr/include -I/usr/include/x86_64-linux-gnu)
for n in "${NAMES[@]}"; do
  clang "${CFLAGS[@]}" -c "$OUT/$SRC/progs/$n.c" -o "$OUT/obj/$n.o"
done
echo "built ${#NAMES[@]} objects in $OUT/obj ($(clang --version | head -1))"
