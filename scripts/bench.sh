#!/usr/bin/env bash
# scripts/bench.sh — synco benchmarks, side by side, in one run on this machine.
#
#   scripts/bench.sh                 # 300 MB dump, 2500-file tree, 10,000 small files, 3 runs
#   BENCH_SQL_SIZE=100MB BENCH_RUNS=1 scripts/bench.sh   # quicker
#
# Everything goes over loopback. Raw results (logs, JSON, rsync stats, Go
# benchmark output) land in bench/out/ (gitignored); bench/out/summary.md is
# the summary that bench/RESULTS.md quotes. Generated data is reused between
# runs when its parameters did not change (delete bench/out/data to redo it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out}
SIZE=${BENCH_SQL_SIZE:-300MB}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
NFILES=${BENCH_FILES:-2500}
NSMALL=${BENCH_SMALL:-10000}
PORT=${BENCH_PORT:-18470} # uses PORT .. PORT+3

BIN=$OUT/bin
DATA=$OUT/data
RAW=$OUT/raw
TMP=$OUT/tmp
RES=$OUT/results.txt
mkdir -p "$BIN" "$DATA" "$RAW" "$TMP"
: >"$RES"

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

log() { printf '\n== %s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
put() { echo "$1=$2" >>"$RES"; printf '  %-36s %s\n' "$1" "$2" >&2; }
get() { sed -n "s/^$1=//p" "$RES" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a/b }'; }
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN{ if (ms == 0) print "n/a"; else printf "%.1f", b/1e6/(ms/1000) }'; }
mb() { awk -v b="$1" 'BEGIN{ printf "%.2f MB", b/1e6 }'; }
jget() { jq -r ".$2" "$1"; }

# ---------------------------------------------------------------- build
log "build"
cd "$ROOT"
go build -o "$BIN/" ./cmd/synco ./cmd/synco-lite
go build -o "$BIN/" ./bench/gen ./bench/chunksize ./bench/deltachunk ./bench/httpserve
GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -ldflags="-s -w" -trimpath -tags nethttpomithttp2 -o "$BIN/synco-lite.stripped" ./cmd/synco-lite
put lite_stripped_bytes "$(stat -c %s "$BIN/synco-lite.stripped")"

# ---------------------------------------------------------------- data
log "generate data (seed $SEED, sql $SIZE, $NFILES files, $NSMALL small files)"
stamp="seed=$SEED size=$SIZE files=$NFILES small=$NSMALL gen=$(sha256sum "$BIN/gen" | cut -c1-16)"
if [[ "$(cat "$DATA/stamp" 2>/dev/null)" != "$stamp" ]]; then
	rm -rf "$DATA" && mkdir -p "$DATA/sqlsrc"
	t0=$(now_ms)
	"$BIN/gen" sql -seed "$SEED" -day 1 -size "$SIZE" -out "$DATA/day1.sql" &
	"$BIN/gen" sql -seed "$SEED" -day 2 -size "$SIZE" -out "$DATA/day2.sql"
	wait $!
	"$BIN/gen" files -seed "$SEED" -day 1 -n "$NFILES" -out "$DATA/files1" &
	"$BIN/gen" files -seed "$SEED" -day 2 -n "$NFILES" -out "$DATA/files2"
	wait $!
	"$BIN/gen" smallfiles -seed "$SEED" -n "$NSMALL" -out "$DATA/small"
	echo "$stamp" >"$DATA/stamp"
	echo "  generated in $(($(now_ms) - t0)) ms" >&2
fi
ln -f "$DATA/day2.sql" "$DATA/sqlsrc/dump.sql"
D1=$DATA/day1.sql
D2=$DATA/day2.sql
put sql_day1_bytes "$(stat -c %s "$D1")"
put sql_day2_bytes "$(stat -c %s "$D2")"
put files_day2_bytes "$(du -sb --apparent-size "$DATA/files2" | cut -f1)"
put files_day2_count "$(find "$DATA/files2" -type f | wc -l)"
put small_bytes "$(du -sb --apparent-size "$DATA/small" | cut -f1)"

# ---------------------------------------------------------------- helpers
# publish STATE TAG ARGS...: starts synco-lite publish on $PORT in the
# background (under /usr/bin/time) and waits until it is ready; sets PUB_PID,
# TOKEN and READY_MS. stop_publish stops it and sets PUB_RSS_KB: the peak RSS of
# the whole run, including what follows ready (dictionary training after a
# store's first publish, saving the state).
publish() {
	local state=$1 tag=$2
	shift 2
	rm -f "$RAW/$tag.token" "$RAW/$tag.publish.log" "$RAW/$tag.publish.rss" # never read a previous run's files
	PUB_RSS_FILE=$RAW/$tag.publish.rss
	/usr/bin/time -f %M -o "$PUB_RSS_FILE" "$BIN/synco-lite" publish "$@" --listen "127.0.0.1:$PORT" \
		--url "http://127.0.0.1:$PORT" --state-dir "$state" >"$RAW/$tag.token" 2>"$RAW/$tag.publish.log" &
	PUB_TIME_PID=$!
	PUB_PID=
	local t0 i
	t0=$(now_ms)
	for i in $(seq 6000); do
		[ -n "$PUB_PID" ] || PUB_PID=$(pgrep -P "$PUB_TIME_PID" -x synco-lite || true)
		grep -q 'ready in' "$RAW/$tag.publish.log" && break
		kill -0 "$PUB_TIME_PID" 2>/dev/null || { cat "$RAW/$tag.publish.log" >&2; return 1; }
		sleep 0.02
	done
	[ -n "$PUB_PID" ] || PUB_PID=$(pgrep -P "$PUB_TIME_PID" -x synco-lite)
	PIDS+=("$PUB_PID")
	PUB_WALL_MS=$(($(now_ms) - t0))
	TOKEN=$(awk '{print $3}' "$RAW/$tag.token")
	READY_MS=$(sed -n 's/.*ready in \([0-9.]*\)\(m\?s\).*/\1 \2/p' "$RAW/$tag.publish.log" |
		awk '{ if ($2 == "ms") print $1; else print $1*1000 }')
}
stop_publish() {
	kill -TERM "$PUB_PID"
	wait "$PUB_TIME_PID" || true
	PUB_RSS_KB=$(tail -1 "$PUB_RSS_FILE")
}
# fetch TAG CACHE TO: synco fetch --json under /usr/bin/time -v; sets
# FETCH_JSON, FETCH_WALL_MS, FETCH_RSS_KB.
fetch() {
	local tag=$1 cache=$2 to=$3 t0
	rm -rf "$to"
	t0=$(now_ms)
	/usr/bin/time -v -o "$RAW/$tag.time" "$BIN/synco" fetch "$TOKEN" --to "$to" --cache "$cache" --json \
		>"$RAW/$tag.json" 2>"$RAW/$tag.fetch.log"
	FETCH_WALL_MS=$(($(now_ms) - t0))
	FETCH_JSON=$RAW/$tag.json
	FETCH_RSS_KB=$(awk -F: '/Maximum resident/{gsub(/ /,"",$2); print $2}' "$RAW/$tag.time")
}
rsync_stat() { sed -n "s/^$2: \([0-9,]*\).*/\1/p" "$1" | tr -d , | head -1; }

# ---------------------------------------------------------------- rsync daemon
log "rsync daemon on 127.0.0.1:$((PORT + 1))"
cat >"$TMP/rsyncd.conf" <<EOF
port = $((PORT + 1))
address = 127.0.0.1
use chroot = no
uid = $(id -u)
gid = $(id -g)
log file = $RAW/rsyncd.log
[sql]
  path = $DATA/sqlsrc
  read only = yes
[files]
  path = $DATA/files2
  read only = yes
EOF
rsync --daemon --no-detach --config="$TMP/rsyncd.conf" &
RSYNCD_PID=$!
PIDS+=("$RSYNCD_PID")
sleep 0.5

# ---------------------------------------------------------------- plain HTTP server
"$BIN/httpserve" -addr "127.0.0.1:$((PORT + 2))" -dir "$DATA" -tar "small=$DATA/small" 2>"$RAW/httpserve.log" &
HTTP_PID=$!
PIDS+=("$HTTP_PID")
sleep 0.3
loadavg() { put "loadavg_$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# ---------------------------------------------------------------- a+b: SQL delta
log "a/b. SQL dump: day 1 -> day 2 delta (synco vs rsync -z vs zstd -3)"
loadavg start
rm -rf "$TMP/sql.state" "$TMP/sql.cache"
publish "$TMP/sql.state" sql-day1 --stream "dump.sql=$D1"
fetch sql-day1 "$TMP/sql.cache" "$TMP/to"
put sql_day1_bytes_downloaded "$(jget "$FETCH_JSON" bytes_downloaded)"
stop_publish
publish "$TMP/sql.state" sql-day2 --stream "dump.sql=$D2"
put sql_day2_publish_warm_ms "$READY_MS"
fetch sql-day2 "$TMP/sql.cache" "$TMP/to"
cmp -s "$TMP/to/dump.sql" "$D2" || { echo "day-2 dump differs after fetch" >&2; exit 1; }
put sql_day2_bytes_downloaded "$(jget "$FETCH_JSON" bytes_downloaded)"
put sql_day2_manifest_bytes "$(jget "$FETCH_JSON" manifest_bytes)"
put sql_day2_chunks_downloaded "$(jget "$FETCH_JSON" chunks_downloaded)"
put sql_day2_chunks_total "$(jget "$FETCH_JSON" chunks_total)"
put sql_day2_requests "$(jget "$FETCH_JSON" requests)"

# d. cold fetch of the day-2 dump (fresh cache each run), same publication,
# alternating with one plain HTTP GET of the same dump from a Go file server, and
# with a cold fetch of the same dump published with --tls (from a copy of the
# state, on PORT+3): what HTTPS with the pinned certificate costs.
log "d. cold fetch of the dump vs plain HTTP GET (and over --tls), $RUNS alternating runs"
rm -rf "$TMP/tls.state" && cp -a "$TMP/sql.state" "$TMP/tls.state"
"$BIN/synco-lite" publish --stream "dump.sql=$D2" --tls --listen "127.0.0.1:$((PORT + 3))" \
	--state-dir "$TMP/tls.state" >"$RAW/tls.token" 2>"$RAW/tls.publish.log" &
TLS_PID=$!
PIDS+=("$TLS_PID")
for _ in $(seq 6000); do
	grep -q 'ready in' "$RAW/tls.publish.log" && break
	kill -0 "$TLS_PID" 2>/dev/null || { cat "$RAW/tls.publish.log" >&2; exit 1; }
	sleep 0.02
done
TLS_TOKEN=$(awk '{print $3}' "$RAW/tls.token")
: >"$TMP/cold.ms"
: >"$TMP/cold.rss"
: >"$TMP/get.ms"
: >"$TMP/cold.tls.ms"
for i in $(seq "$RUNS"); do
	rm -rf "$TMP/cold.cache"
	fetch "sql-cold-$i" "$TMP/cold.cache" "$TMP/to"
	jget "$FETCH_JSON" duration_ms >>"$TMP/cold.ms"
	echo "$FETCH_RSS_KB" >>"$TMP/cold.rss"
	put "sql_cold_run${i}_ms" "$(jget "$FETCH_JSON" duration_ms) (wall $FETCH_WALL_MS)"
	rm -rf "$TMP/to" "$TMP/get.sql"
	t0=$(now_ms)
	curl -sf -o "$TMP/get.sql" "http://127.0.0.1:$((PORT + 2))/day2.sql"
	echo $(($(now_ms) - t0)) >>"$TMP/get.ms"
	put "http_get_run${i}_ms" "$(tail -1 "$TMP/get.ms")"
	rm -f "$TMP/get.sql"
	rm -rf "$TMP/cold.cache"
	PLAIN_TOKEN=$TOKEN
	TOKEN=$TLS_TOKEN
	fetch "sql-cold-tls-$i" "$TMP/cold.cache" "$TMP/to"
	TOKEN=$PLAIN_TOKEN
	cmp -s "$TMP/to/dump.sql" "$D2" || { echo "dump differs after the --tls fetch" >&2; exit 1; }
	jget "$FETCH_JSON" duration_ms >>"$TMP/cold.tls.ms"
	put "sql_cold_tls_run${i}_ms" "$(jget "$FETCH_JSON" duration_ms) (wall $FETCH_WALL_MS)"
	rm -rf "$TMP/to"
done
put http_get_ms "$(median <"$TMP/get.ms")"
put sql_cold_bytes_downloaded "$(jget "$RAW/sql-cold-$RUNS.json" bytes_downloaded)"
put sql_cold_requests "$(jget "$RAW/sql-cold-$RUNS.json" requests)"
put sql_cold_ms "$(median <"$TMP/cold.ms")"
put sql_cold_tls_ms "$(median <"$TMP/cold.tls.ms")"
put fetch_rss_kb "$(sort -n "$TMP/cold.rss" | tail -1)"
stop_publish
put publish_warm_rss_kb "$PUB_RSS_KB" # the day-2 publish: the store has its dictionary
kill -TERM "$TLS_PID" && wait "$TLS_PID" || true
rm -rf "$TMP/cold.cache" "$TMP/to" "$TMP/tls.state"

# rsync -z of the dump: destination holds day 1, pulls day 2 from the daemon.
mkdir -p "$TMP/rsync-sql"
cp "$D1" "$TMP/rsync-sql/dump.sql"
t0=$(now_ms)
rsync -z --no-whole-file --stats --debug=nstr1 "rsync://127.0.0.1:$((PORT + 1))/sql/dump.sql" "$TMP/rsync-sql/dump.sql" >"$RAW/rsync-sql.txt" 2>&1
put rsync_sql_ms "$(($(now_ms) - t0))"
cmp -s "$TMP/rsync-sql/dump.sql" "$D2" || { echo "rsync result differs" >&2; exit 1; }
put rsync_sql_received "$(rsync_stat "$RAW/rsync-sql.txt" 'Total bytes received')"
put rsync_sql_sent "$(rsync_stat "$RAW/rsync-sql.txt" 'Total bytes sent')"
put rsync_sql_literal "$(rsync_stat "$RAW/rsync-sql.txt" 'Literal data')"
put rsync_compress "$(grep -io 'compress[^:]*: *[a-z0-9]*' "$RAW/rsync-sql.txt" | head -1 | awk '{print $NF}')"
rm -rf "$TMP/rsync-sql"

put zstd3_day2_bytes "$(zstd -3 -T0 -c "$D2" | wc -c)"
put zstd3_patchfrom_bytes "$(zstd -3 -T0 --patch-from="$D1" -c "$D2" 2>/dev/null | wc -c)"

# ---------------------------------------------------------------- a+b: files delta
log "a/b. files tree: day 1 -> day 2 delta (synco vs rsync)"
rm -rf "$TMP/files.state" "$TMP/files.cache"
publish "$TMP/files.state" files-day1 --files "persistent=$DATA/files1"
fetch files-day1 "$TMP/files.cache" "$TMP/to"
put files_day1_bytes_downloaded "$(jget "$FETCH_JSON" bytes_downloaded)"
stop_publish
publish "$TMP/files.state" files-day2 --files "persistent=$DATA/files2"
fetch files-day2 "$TMP/files.cache" "$TMP/to"
diff -r -q "$TMP/to/persistent" "$DATA/files2" >/dev/null || { echo "day-2 files differ after fetch" >&2; exit 1; }
put files_day2_bytes_downloaded "$(jget "$FETCH_JSON" bytes_downloaded)"
put files_day2_manifest_bytes "$(jget "$FETCH_JSON" manifest_bytes)"
put files_day2_chunks_downloaded "$(jget "$FETCH_JSON" chunks_downloaded)"
put files_day2_requests "$(jget "$FETCH_JSON" requests)"
stop_publish
rm -rf "$TMP/to" "$TMP/files.state" "$TMP/files.cache"

mkdir -p "$TMP/rsync-files"
cp -a "$DATA/files1/." "$TMP/rsync-files/"
t0=$(now_ms)
rsync -rtz --no-whole-file --delete --stats "rsync://127.0.0.1:$((PORT + 1))/files/" "$TMP/rsync-files/" >"$RAW/rsync-files.txt" 2>&1
put rsync_files_ms "$(($(now_ms) - t0))"
put rsync_files_received "$(rsync_stat "$RAW/rsync-files.txt" 'Total bytes received')"
put rsync_files_sent "$(rsync_stat "$RAW/rsync-files.txt" 'Total bytes sent')"
put rsync_files_literal "$(rsync_stat "$RAW/rsync-files.txt" 'Literal data')"
rm -rf "$TMP/rsync-files"
kill -TERM "$RSYNCD_PID" && wait "$RSYNCD_PID" || true

# ---------------------------------------------------------------- c: publish throughput
log "c. publish throughput (cold state dir) vs zstd -3, $RUNS alternating runs"
loadavg publish
: >"$TMP/pub.ms"
: >"$TMP/pub.rss"
: >"$TMP/zstd.T1.ms"
: >"$TMP/zstd.T0.ms"
for i in $(seq "$RUNS"); do
	rm -rf "$TMP/pub.state"
	publish "$TMP/pub.state" "pub-$i" --stream "dump.sql=$D2"
	echo "$READY_MS" >>"$TMP/pub.ms"
	put "publish_run${i}_ms" "$READY_MS (wall to ready $PUB_WALL_MS)"
	stop_publish
	echo "$PUB_RSS_KB" >>"$TMP/pub.rss"
	rm -rf "$TMP/pub.state"
	for lvl in T1 T0; do
		t0=$(now_ms)
		zstd -q -3 "-$lvl" -f -c "$D2" >"$TMP/day2.sql.zst"
		echo $(($(now_ms) - t0)) >>"$TMP/zstd.$lvl.ms"
		put "zstd3_${lvl}_run${i}_ms" "$(tail -1 "$TMP/zstd.$lvl.ms")"
	done
done
put publish_cold_ms "$(median <"$TMP/pub.ms")"
put publish_rss_kb "$(sort -n "$TMP/pub.rss" | tail -1)"
put zstd3_T1_ms "$(median <"$TMP/zstd.T1.ms")"
put zstd3_T0_ms "$(median <"$TMP/zstd.T0.ms")"
loadavg publish_end
rm -f "$TMP/day2.sql.zst"

log "c. Go benchmarks of each primitive on one core (chunkstore)"
loadavg gobench
if go test -run XXX -bench '^Benchmark(Split|ID|Seal|Open)$/^db$' -benchtime 3x -cpu 1 ./chunkstore/ >"$RAW/gobench.txt" 2>&1 &&
	go test -run XXX -bench '^BenchmarkZstdLevel$/^(fastest|default)$/^db$' -benchtime 3x -cpu 1 ./chunkstore/ >>"$RAW/gobench.txt" 2>&1; then
	grep -E '^Benchmark' "$RAW/gobench.txt" | awk '{printf "  %s %s %s\n", $1, $(NF-3), $(NF-2)}' >&2 || true
else
	echo "  go benchmarks failed (see $RAW/gobench.txt)" >&2
fi

# ---------------------------------------------------------------- e: small files
log "e. $NSMALL small files: cold synco fetch vs one tar stream over HTTP, $RUNS alternating runs"
loadavg small
rm -rf "$TMP/small.state"
publish "$TMP/small.state" small --files "small=$DATA/small"
put small_publish_ms "$READY_MS"
: >"$TMP/small.ms"
: >"$TMP/tar.ms"
for i in $(seq "$RUNS"); do
	rm -rf "$TMP/small.cache"
	fetch "small-$i" "$TMP/small.cache" "$TMP/to"
	echo "$FETCH_WALL_MS" >>"$TMP/small.ms"
	put "small_run${i}_ms" "wall $FETCH_WALL_MS (duration_ms $(jget "$FETCH_JSON" duration_ms))"
	rm -rf "$TMP/untar" && mkdir -p "$TMP/untar"
	t0=$(now_ms)
	curl -sf "http://127.0.0.1:$((PORT + 2))/tar/small" | tar -C "$TMP/untar" -xf -
	echo $(($(now_ms) - t0)) >>"$TMP/tar.ms"
	put "tar_small_run${i}_ms" "$(tail -1 "$TMP/tar.ms")"
done
diff -r -q "$TMP/to/small" "$DATA/small" >/dev/null || { echo "small files differ after fetch" >&2; exit 1; }
diff -r -q "$TMP/untar" "$DATA/small" >/dev/null || { echo "untarred small files differ" >&2; exit 1; }
rm -rf "$TMP/untar"
put tar_small_ms "$(median <"$TMP/tar.ms")"
put small_requests "$(jget "$FETCH_JSON" requests)"
put small_bytes_downloaded "$(jget "$FETCH_JSON" bytes_downloaded)"
put small_ms "$(median <"$TMP/small.ms")"
stop_publish
kill -TERM "$HTTP_PID" && wait "$HTTP_PID" || true
rm -rf "$TMP/small.state" "$TMP/small.cache" "$TMP/to"

# ---------------------------------------------------------------- chunk sizes
log "chunk-size measurement on the day-1/day-2 dump"
"$BIN/chunksize" -old "$D1" -new "$D2" -json "$RAW/chunksize.json" >"$RAW/chunksize.md"
cat "$RAW/chunksize.md" >&2
log "delta forms of changed chunks on the day-1/day-2 dump: splices (used) vs raw-dictionary zstd (not used)"
"$BIN/deltachunk" -old "$D1" -new "$D2" >"$RAW/deltachunk.txt"
cat "$RAW/deltachunk.txt" >&2

# ---------------------------------------------------------------- summary
S=$OUT/summary.md
{
	echo "# synco bench summary ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/{printf "%.0f GB", $2/1e6}' /proc/meminfo) RAM; sql $SIZE seed $SEED, runs $RUNS"
	echo
	echo "| measurement | synco | baseline | ratio (synco/baseline) | target |"
	echo "|---|---|---|---|---|"
	echo "| a. SQL day-2 bytes vs rsync -z (received) | $(mb "$(get sql_day2_bytes_downloaded)") | $(mb "$(get rsync_sql_received)") | $(ratio "$(get sql_day2_bytes_downloaded)" "$(get rsync_sql_received)") | ≤ 1.00 |"
	echo "| a. SQL day-2 bytes vs zstd -3 of whole dump | $(mb "$(get sql_day2_bytes_downloaded)") | $(mb "$(get zstd3_day2_bytes)") | $(ratio "$(get sql_day2_bytes_downloaded)" "$(get zstd3_day2_bytes)") | (info) |"
	echo "| a. SQL day-2 bytes vs zstd -3 --patch-from floor | $(mb "$(get sql_day2_bytes_downloaded)") | $(mb "$(get zstd3_patchfrom_bytes)") | $(ratio "$(get sql_day2_bytes_downloaded)" "$(get zstd3_patchfrom_bytes)") | ≤ 1.5 (later) |"
	echo "| a. files day-2 bytes vs rsync literal data | $(mb "$(get files_day2_bytes_downloaded)") | $(mb "$(get rsync_files_literal)") | $(ratio "$(get files_day2_bytes_downloaded)" "$(get rsync_files_literal)") | ≤ 1.10 |"
	echo "| a. files day-2 bytes vs rsync -z received | $(mb "$(get files_day2_bytes_downloaded)") | $(mb "$(get rsync_files_received)") | $(ratio "$(get files_day2_bytes_downloaded)" "$(get rsync_files_received)") | (info) |"
	echo "| b. SQL manifest share of day-2 download | $(mb "$(get sql_day2_manifest_bytes)") | of $(mb "$(get sql_day2_bytes_downloaded)") | $(ratio "$((100 * $(get sql_day2_manifest_bytes)))" "$(get sql_day2_bytes_downloaded)") % | ≤ 10 % |"
	echo "| b. files manifest share of day-2 download | $(mb "$(get files_day2_manifest_bytes)") | of $(mb "$(get files_day2_bytes_downloaded)") | $(ratio "$((100 * $(get files_day2_manifest_bytes)))" "$(get files_day2_bytes_downloaded)") % | ≤ 10 % |"
	echo "| c. publish cold, MB/s (all cores) vs zstd -3 -T1 | $(mbps "$(get sql_day2_bytes)" "$(get publish_cold_ms)") MB/s | $(mbps "$(get sql_day2_bytes)" "$(get zstd3_T1_ms)") MB/s | $(ratio "$(get zstd3_T1_ms)" "$(get publish_cold_ms)") | ≥ 1.0 |"
	echo "| c. publish cold, MB/s vs zstd -3 -T0 (all cores) | $(mbps "$(get sql_day2_bytes)" "$(get publish_cold_ms)") MB/s | $(mbps "$(get sql_day2_bytes)" "$(get zstd3_T0_ms)") MB/s | $(ratio "$(get zstd3_T0_ms)" "$(get publish_cold_ms)") | (info) |"
	echo "| d. cold fetch of the dump vs one HTTP GET, MB/s | $(mbps "$(get sql_day2_bytes)" "$(get sql_cold_ms)") MB/s | $(mbps "$(get sql_day2_bytes)" "$(get http_get_ms)") MB/s | $(ratio "$(get http_get_ms)" "$(get sql_cold_ms)") | ≥ 0.70 |"
	echo "| d. cold fetch over --tls (pinned HTTPS) vs over HTTP, time | $(get sql_cold_tls_ms) ms | $(get sql_cold_ms) ms | $(ratio "$(get sql_cold_tls_ms)" "$(get sql_cold_ms)") | (info) |"
	echo "| e. publish of the $NSMALL small files (cold state dir), time | $(get small_publish_ms) ms | — | — | (info) |"
	echo "| e. $NSMALL small files cold vs tar over HTTP, time | $(get small_ms) ms | $(get tar_small_ms) ms | $(ratio "$(get small_ms)" "$(get tar_small_ms)") | ≤ 1.50 |"
	echo "| f. synco-lite stripped (linux/amd64) | $(mb "$(get lite_stripped_bytes)") | — | — | ≤ 8 MB |"
	echo "| f. peak RSS ($SIZE dump): first publish of a store (dictionary training included) / later publish / fetch | $(($(get publish_rss_kb) / 1024)) / $(($(get publish_warm_rss_kb) / 1024)) / $(($(get fetch_rss_kb) / 1024)) MiB | — | — | bounded |"
	echo
	echo "## raw values"
	echo
	sed 's/^/    /' "$RES"
	echo
	echo "## chunk sizes (bench/chunksize)"
	echo
	cat "$RAW/chunksize.md"
	echo
	echo "## delta forms of changed chunks (bench/deltachunk)"
	echo
	sed 's/^/    /' "$RAW/deltachunk.txt"
	echo
	echo "## Go benchmarks (one core)"
	echo
	grep -E '^(Benchmark|goos|cpu)' "$RAW/gobench.txt" | sed 's/^/    /' || true
} >"$S"
log "summary ($S)"
cat "$S"
