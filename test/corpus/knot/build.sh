#!/usr/bin/env bash
# Take Knot DNS's XDP program out of Debian's libknot13, where it is compiled in as bytes
# (libknot/xdp/bpf-kernel-obj.c), into build/knot-xdp.o: the object knotd and kxdpgun load.
# Nothing of Knot's is kept in this repository; manifest.json says how knotd configures it.
#
#   test/corpus/knot/build.sh [LIBRARY]     default /usr/lib/x86_64-linux-gnu/libknot.so.13
#
# Needs: apt-get install libknot13; the repository's tools built (npm ci runs it, else tsc -p tools).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
LIBRARY="${1:-/usr/lib/x86_64-linux-gnu/libknot.so.13}"
[[ -f "$LIBRARY" ]] || { echo "build.sh: ENOENT: $LIBRARY (apt-get install libknot13)" >&2; exit 2; }
(cd "$ROOT" && npx tsc -p tools/tsconfig.json)
mkdir -p "$HERE/build"
node "$ROOT/dist-tools/tools/corpus/embedded.js" "$LIBRARY" "$HERE/build/knot-xdp.o"
