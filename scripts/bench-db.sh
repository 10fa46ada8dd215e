#!/usr/bin/env bash
# scripts/bench-db.sh — issue 3 database benchmarks, side by side in one run:
# synco's native dumpers/importers vs mysqldump/mysql and pg_dump/psql, and
# `synco-lite publish --db` vs `mysqldump | zstd -3` / `pg_dump | zstd -3`, on
# the same seeded, generated database in MariaDB and PostgreSQL (bench/db).
#
#   scripts/bench-db.sh                                   # 1 GB, 3 runs (≈ 15 min on 2 cores)
#   BENCH_DB_SIZE=200MB BENCH_RUNS=1 scripts/bench-db.sh  # quick
#   BENCH_ENGINES=postgres scripts/bench-db.sh            # one engine only
#
# Servers: BENCH_MYSQL (default mysql://root@127.0.0.1:3306) and BENCH_PG
# (default postgres://postgres@127.0.0.1:5432), no passwords; the client
# tools get the same host/port/user. Every database it creates is named
# bench_db_<pid>_* and dropped at exit (also on failure or Ctrl-C).
# Times are wall-clock medians of BENCH_RUNS runs, ours and theirs alternated;
# peak RSS is /usr/bin/time -v of the client process (not the server's).
# Raw output: bench/out/db/ (gitignored): summary.md, results.txt, raw/*.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out/db}
SIZE=${BENCH_DB_SIZE:-1GB}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
ENGINES=${BENCH_ENGINES:-mysql postgres}
MYSQL_URL=${BENCH_MYSQL:-mysql://root@127.0.0.1:3306}
PG_URL=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
TAG=bench_db_$$

BIN=$OUT/bin
RAW=$OUT/raw
TMP=$OUT/tmp
RES=$OUT/results.txt
rm -rf "$RAW" "$TMP"
mkdir -p "$BIN" "$RAW" "$TMP"
: >"$RES"

log() { printf '\n== %s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
put() { echo "$1=$2" >>"$RES"; printf '  %-40s %s\n' "$1" "$2" >&2; }
get() { sed -n "s/^$1=//p" "$RES" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a/b }'; }
secs() { awk -v ms="$1" 'BEGIN{ printf "%.2f s", ms/1000 }'; }
mb() { awk -v b="$1" 'BEGIN{ printf "%.1f MB", b/1e6 }'; }
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN{ if (ms == 0) print "n/a"; else printf "%.0f MB/s", b/1e6/(ms/1000) }'; }
mib() { awk -v kb="$1" 'BEGIN{ printf "%.0f MiB", kb/1024 }'; }
rss_of() { awk -F: '/Maximum resident/{gsub(/ /,"",$2); print $2}' "$1"; }
treehash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

# url_host_port URL: "host port user" of a server URL (no password support:
# the bench servers have none).
hostport() { sed -E 's#^[a-z]+://([^@/]+)@([^:/]+):([0-9]+).*#\2 \3 \1#' <<<"$1"; }
read -r MY_HOST MY_PORT MY_USER <<<"$(hostport "$MYSQL_URL")"
read -r PG_HOST PG_PORT PG_USER <<<"$(hostport "$PG_URL")"
MYSQL=(mysql -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER")
MYSQLDUMP=(mysqldump -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER")
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
PGDUMP=(pg_dump -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")

url() { if [[ $1 == mysql ]]; then echo "$MYSQL_URL/$2"; else echo "$PG_URL/$2"; fi; }

# ---------------------------------------------------------------- cleanup
CREATED=()
PUB_CHILD=
cleanup() {
	set +e # a failed step (a publisher already gone) must not skip the others
	[[ -n $PUB_CHILD ]] && kill -INT "$PUB_CHILD" 2>/dev/null && sleep 1
	for u in "${CREATED[@]}"; do "$BIN/dbbench" drop -dsn "$u" 2>/dev/null || echo "could not drop $u" >&2; done
	[[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
track() { CREATED+=("$1"); }
createdb() { # engine name: an empty database for the engines' own clients
	if [[ $1 == mysql ]]; then "${MYSQL[@]}" -e "CREATE DATABASE \`$2\`"; else "${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$2\" TEMPLATE template0"; fi
}

# tm NAME CMD...: runs CMD under /usr/bin/time -v; sets T_MS (wall) and T_RSS (KiB).
tm() {
	local name=$1 t0
	shift
	t0=$(now_ms)
	/usr/bin/time -v -o "$RAW/$name.time" "$@"
	T_MS=$(($(now_ms) - t0))
	T_RSS=$(rss_of "$RAW/$name.time")
}
# rec KEY: appends T_MS/T_RSS of one run to the lists of KEY.
rec() { echo "$T_MS" >>"$TMP/$1.ms"; echo "$T_RSS" >>"$TMP/$1.rss"; put "$1_run" "$T_MS ms, $(mib "$T_RSS")"; }
fin() { # fin KEY: medians into results
	put "$1_ms" "$(median <"$TMP/$1.ms")"
	put "$1_rss" "$(sort -n "$TMP/$1.rss" | tail -1)"
}
# same ENGINE DB WHAT: compares per-table checksums of DB with the source's.
same() {
	"$BIN/dbbench" checksum -dsn "$(url "$1" "$2")" >"$RAW/$3.sum" 2>/dev/null
	if cmp -s "$RAW/$3.sum" "$RAW/$1.src.sum"; then
		echo yes >>"$TMP/$1.$4.same"
	else
		echo "NO ($3)" >>"$TMP/$1.$4.same"
		echo "checksums differ: $3" >&2
		diff "$RAW/$1.src.sum" "$RAW/$3.sum" >&2 || true
	fi
}
loadavg() { put "loadavg_$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# ---------------------------------------------------------------- build
log "build"
cd "$ROOT"
for i in 1 2 3 4 5; do # others edit concurrently: retry a broken build
	go build -o "$BIN/" ./cmd/synco-lite && go build -o "$BIN/dbbench" ./bench/db && break
	[[ $i == 5 ]] && exit 1
	echo "build failed, retrying in 30 s" >&2
	sleep 30
done
put go "$(go version | cut -d' ' -f3)"
put code "$(git rev-parse --short HEAD 2>/dev/null || echo '?') + $(git status --porcelain 2>/dev/null | wc -l) changed paths in the working tree"
put mariadb "$("${MYSQL[@]}" -Nse 'SELECT VERSION()')"
put postgresql "$("${PSQL[@]}" -d postgres -Atc 'SHOW server_version')"
put mysqldump "$(mysqldump --version | sed 's/^mysqldump *//')"
put pg_dump "$(pg_dump --version)"
put zstd "$(zstd --version)"
put machine "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"

# ---------------------------------------------------------------- load
log "load the generated database (size $SIZE, seed $SEED) into: $ENGINES"
loadavg start
pids=()
for e in $ENGINES; do
	track "$(url "$e" "${TAG}_src")"
	tm "$e-load" "$BIN/dbbench" load -dsn "$(url "$e" "${TAG}_src")" -size "$SIZE" -seed "$SEED" 2>"$RAW/$e-load.log" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for e in $ENGINES; do
	put "${e}_load" "$(sed -n 's/.*load done in //p' "$RAW/$e-load.log") ($(sed -n 's/.*total \(.*\) encoded/\1/p' "$RAW/$e-load.log") as loader input)"
	cat "$RAW/$e-load.log" >&2
	"$BIN/dbbench" checksum -dsn "$(url "$e" "${TAG}_src")" >"$RAW/$e.src.sum" 2>/dev/null
done
put mysql_size_on_disk "$("${MYSQL[@]}" -Nse "SELECT SUM(data_length+index_length) FROM information_schema.tables WHERE table_schema='${TAG}_src'" 2>/dev/null || echo 0)"
put postgres_size_on_disk "$("${PSQL[@]}" -d postgres -Atc "SELECT pg_database_size('${TAG}_src')" 2>/dev/null || echo 0)"

for e in $ENGINES; do
	SRC=${TAG}_src
	if [[ $e == mysql ]]; then
		DUMP=("${MYSQLDUMP[@]}" --single-transaction --quick "$SRC")
		TOOL=mysqldump
	else
		DUMP=("${PGDUMP[@]}" "$SRC")
		TOOL=pg_dump
	fi

	# ------------------------------------------------------------ dump
	log "$e: dump, ours (dbbench dump: the dumper alone, one file per stream) vs $TOOL > file, $RUNS alternating runs"
	loadavg "${e}_dump"
	: >"$TMP/$e.hashes"
	for i in $(seq "$RUNS"); do
		rm -rf "$TMP/$e.ours"
		tm "$e-dump-ours-$i" "$BIN/dbbench" dump -dsn "$(url "$e" "$SRC")" -out "$TMP/$e.ours" 2>"$RAW/$e-dump-ours-$i.log"
		rec "${e}_dump_ours"
		treehash "$TMP/$e.ours" >>"$TMP/$e.hashes"
		tm "$e-dump-theirs-$i" "${DUMP[@]}" >"$TMP/$e.theirs.sql"
		rec "${e}_dump_theirs"
	done
	fin "${e}_dump_ours"
	fin "${e}_dump_theirs"
	put "${e}_dump_workers" "$(sed -n 's/.*dump used \([0-9]*\) workers.*/\1/p' "$RAW/$e-dump-ours-1.log")"
	put "${e}_dump_deterministic" "$([[ $(sort -u "$TMP/$e.hashes" | wc -l) == 1 ]] && echo "yes ($RUNS identical dumps)" || echo no)"
	put "${e}_dump_ours_bytes" "$(du -sb "$TMP/$e.ours" | cut -f1)"
	put "${e}_dump_theirs_bytes" "$(stat -c %s "$TMP/$e.theirs.sql")"
	"$BIN/dbbench" concat -in "$TMP/$e.ours" -out "$TMP/$e.ours.sql" 2>/dev/null

	# ------------------------------------------------------------ import
	log "$e: import, ours (staging + swap) vs the engine's client, and our concatenated .sql through the client, $RUNS runs"
	loadavg "${e}_import"
	for i in $(seq "$RUNS"); do
		DST=${TAG}_dst
		track "$(url "$e" "$DST")"
		# the engine's own client, loading a .sql from stdin into DST
		if [[ $e == mysql ]]; then CLIENT=("${MYSQL[@]}" "$DST"); else CLIENT=("${PSQL[@]}" -d "$DST" -f -); fi
		tm "$e-import-ours-$i" "$BIN/dbbench" import -dsn "$(url "$e" "$DST")" -in "$TMP/$e.ours" 2>"$RAW/$e-import-ours-$i.log"
		rec "${e}_import_ours"
		same "$e" "$DST" "$e-import-ours-$i" ours
		"$BIN/dbbench" drop -dsn "$(url "$e" "$DST")" 2>/dev/null

		createdb "$e" "$DST"
		tm "$e-import-theirs-$i" "${CLIENT[@]}" <"$TMP/$e.theirs.sql" >/dev/null
		rec "${e}_import_theirs"
		same "$e" "$DST" "$e-import-theirs-$i" theirs
		"$BIN/dbbench" drop -dsn "$(url "$e" "$DST")" 2>/dev/null

		createdb "$e" "$DST"
		tm "$e-import-ref-$i" "${CLIENT[@]}" <"$TMP/$e.ours.sql" >/dev/null
		rec "${e}_import_ref"
		same "$e" "$DST" "$e-import-ref-$i" ref
		"$BIN/dbbench" drop -dsn "$(url "$e" "$DST")" 2>/dev/null
	done
	for k in ours theirs ref; do
		fin "${e}_import_$k"
		put "${e}_import_${k}_identical" "$(sort -u "$TMP/$e.$k.same" | paste -sd' ')"
	done
	rm -f "$TMP/$e.ours.sql"

	# ------------------------------------------------------------ publish
	log "$e: publish end to end (synco-lite publish --db … --out DIR, until 'serving until') vs $TOOL | zstd -3 > file, $RUNS runs"
	loadavg "${e}_publish"
	for i in $(seq "$RUNS"); do
		rm -rf "$TMP/pub.out" "$TMP/pub.state" "$RAW/$e-publish-$i.log"
		t0=$(now_ms)
		/usr/bin/time -v -o "$RAW/$e-publish-$i.time" "$BIN/synco-lite" publish --db "$(url "$e" "$SRC")" \
			--out "$TMP/pub.out" --url http://127.0.0.1/x --state-dir "$TMP/pub.state" \
			>"$RAW/$e-publish-$i.token" 2>"$RAW/$e-publish-$i.log" &
		tpid=$!
		for _ in $(seq 60000); do
			grep -q 'serving until' "$RAW/$e-publish-$i.log" 2>/dev/null && break
			kill -0 "$tpid" 2>/dev/null || { tr '\r' '\n' <"$RAW/$e-publish-$i.log" >&2; exit 1; }
			sleep 0.01
		done
		T_MS=$(($(now_ms) - t0))
		put "${e}_publish_bytes" "$(du -sb "$TMP/pub.out" | cut -f1)"
		PUB_CHILD=$(pgrep -P "$tpid")
		kill -INT "$PUB_CHILD"
		wait "$tpid" || true
		PUB_CHILD=
		T_RSS=$(rss_of "$RAW/$e-publish-$i.time")
		rec "${e}_publish_ours"
		put "${e}_publish_ready_line" "$(tr '\r' '\n' <"$RAW/$e-publish-$i.log" | grep 'ready in' | sed 's/^synco-lite: //')"

		t0=$(now_ms)
		/usr/bin/time -v -o "$RAW/$e-zstd-dump-$i.time" "${DUMP[@]}" |
			/usr/bin/time -v -o "$RAW/$e-zstd-$i.time" zstd -3 -q -c >"$TMP/$e.sql.zst"
		T_MS=$(($(now_ms) - t0))
		T_RSS=$(($(rss_of "$RAW/$e-zstd-dump-$i.time") + $(rss_of "$RAW/$e-zstd-$i.time")))
		rec "${e}_publish_theirs"
		put "${e}_publish_theirs_bytes" "$(stat -c %s "$TMP/$e.sql.zst")"
	done
	rm -rf "$TMP/pub.out" "$TMP/pub.state" "$TMP/$e.sql.zst" "$TMP/$e.ours" "$TMP/$e.theirs.sql"
	fin "${e}_publish_ours"
	fin "${e}_publish_theirs"
done
loadavg end

# ---------------------------------------------------------------- summary
S=$OUT/summary.md
row() { # row LABEL OURS_MS THEIRS_MS [info]
	local r met
	r=$(ratio "$3" "$2")
	met=$(awk -v r="$r" 'BEGIN{print (r >= 1.0) ? "yes" : "**no**"}')
	[[ -n ${4:-} ]] && met="(info)"
	echo "| $1 | $(secs "$2") | $(secs "$3") | ${r}× | $met |"
}
{
	echo "# synco database bench summary ($(date -u +%Y-%m-%dT%H:%MZ))"
	echo
	echo "machine: $(get machine); $(get mariadb), PostgreSQL $(get postgresql); size $SIZE seed $SEED, runs $RUNS; code $(get code)"
	echo
	for e in $ENGINES; do
		[[ $e == mysql ]] && T=mysqldump C=mysql || T=pg_dump C=psql
		echo "## $e"
		echo
		echo "dump bytes: ours $(mb "$(get "${e}_dump_ours_bytes")") (streams), $T $(mb "$(get "${e}_dump_theirs_bytes")"); our dumper used $(get "${e}_dump_workers") workers; deterministic: $(get "${e}_dump_deterministic")"
		echo
		echo "| measurement (median of $RUNS, wall) | ours | theirs | speed ratio (theirs/ours time) | ≥ 1.0× |"
		echo "|---|---|---|---|---|"
		row "dump to files vs \`$T > file\`" "$(get "${e}_dump_ours_ms")" "$(get "${e}_dump_theirs_ms")"
		row "import into a fresh DB vs \`$C < $T.sql\`" "$(get "${e}_import_ours_ms")" "$(get "${e}_import_theirs_ms")"
		row "(ref) our concatenated .sql through \`$C\` vs \`$C < $T.sql\`" "$(get "${e}_import_ref_ms")" "$(get "${e}_import_theirs_ms")" info
		row "publish end to end vs \`$T | zstd -3 > file\`" "$(get "${e}_publish_ours_ms")" "$(get "${e}_publish_theirs_ms")"
		echo
		echo "identical restored data (per-table checksums = source), per run: ours $(get "${e}_import_ours_identical"); $C $(get "${e}_import_theirs_identical"); our .sql via $C $(get "${e}_import_ref_identical")"
		echo
		echo "publication $(mb "$(get "${e}_publish_bytes")") vs $T | zstd -3: $(mb "$(get "${e}_publish_theirs_bytes")")"
		echo
		echo "| peak RSS (max of runs) | ours | theirs |"
		echo "|---|---|---|"
		echo "| dump | $(mib "$(get "${e}_dump_ours_rss")") | $(mib "$(get "${e}_dump_theirs_rss")") |"
		echo "| import | $(mib "$(get "${e}_import_ours_rss")") | $(mib "$(get "${e}_import_theirs_rss")") (ref: $(mib "$(get "${e}_import_ref_rss")")) |"
		echo "| publish | $(mib "$(get "${e}_publish_ours_rss")") | $(mib "$(get "${e}_publish_theirs_rss")") ($T + zstd) |"
		echo
	done
	echo "## raw values"
	echo
	sed 's/^/    /' "$RES"
	echo
	echo "## source checksums"
	echo
	for e in $ENGINES; do sed "s/^/    $e: /" "$RAW/$e.src.sum"; done
} >"$S"
log "summary ($S)"
cat "$S"
