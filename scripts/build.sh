#!/usr/bin/env bash
# Release build: static, stripped binaries for every supported platform into dist/.
#   scripts/build.sh                 # all platforms
#   scripts/build.sh linux/amd64     # just one
#
# Layout: dist/<os>-<arch>/ holds synco and synco-lite for that platform, and
# synco-lite-<os>-<arch> of every other platform built in the same run: synco pull
# uploads the one matching the source's `uname -s -m` (it looks next to its own
# executable, or in $SYNCO_LITE_DIR).
#
# HTTP/2 stays in net/http (no nethttpomithttp2): synco pull carries a publication
# over ssh/docker/kubectl stdio as HTTP/2 without TLS. It costs synco-lite ≈0.36 MB.
#
# synco-lite compiles the packages in cmd/synco-lite/noinline.txt without inlining
# (code that runs once per command, connection or table: −0.64 MB; the size guard in
# cmd/synco-lite/link_test.go builds it the same way). scripts/build.sh --lite-flags
# prints those go build flags for other scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
# lite_flags: -gcflags=PATTERN=-l for every package pattern in noinline.txt.
lite_flags() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' -e 's/.*/-gcflags=&=-l/' cmd/synco-lite/noinline.txt; }
if [ "${1:-}" = --lite-flags ]; then lite_flags; exit; fi
platforms=${*:-linux/amd64 linux/arm64 freebsd/amd64 freebsd/arm64 openbsd/amd64 netbsd/amd64 darwin/arm64 darwin/amd64}
size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  for cmd in synco synco-lite; do
    out=dist/$os-$arch/$cmd
    extra=()
    [ "$cmd" = synco-lite ] && mapfile -t extra < <(lite_flags)
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath "${extra[@]}" \
      -ldflags="-s -w -X synco/cmd/internal/cli.Version=$version" -o "$out" ./cmd/$cmd
    printf '%-36s %8d bytes\n' "$out" "$(size "$out")"
  done
done
# Every platform's synco-lite next to every synco, for synco pull.
for p in $platforms; do
  for q in $platforms; do
    [ "$p" = "$q" ] && continue
    cp "dist/${q%/*}-${q#*/}/synco-lite" "dist/${p%/*}-${p#*/}/synco-lite-${q%/*}-${q#*/}"
  done
done
