#!/usr/bin/env bash
# scripts/bench-sync.sh — issue 12/15 end-to-end benchmark: a whole daily sync,
# timed from "start" to "local database and files installed", day 1 (cold) and
# day 2 (the generators' lab-style changes), through an emulated link
# (bench/ratelimit: loopback TCP proxy, shared rate per direction, one-way
# delay, bytes counted) at each BENCH_RATES rate. Both sides of every
# comparison go through that link:
#
#   pf     synco-lite publish (in the source app, WordPress-like) + synco fetch
#          of its token into the local project; the fetch goes through the link
#          to the publisher's port
#   pull   synco pull over ssh (sshd on 127.0.0.1 behind the link)
#   ddev   ssh src 'mysqldump … | gzip' | gunzip | mysql, then rsync -az of
#          the uploads over the same ssh (the ddev pull / lando pull way)
#   rsd    ssh src 'mysqldump … > dump.sql'; rsync -z of that file (yesterday's
#          copy kept locally); mysql < dump.sql; rsync -az of the uploads
#
# A "small" block repeats the database part on a small database (no files) at
# the first rate, and a "raw" block streams the uploads as one tar through the
# same ssh (`ssh src tar c | tar x`) next to a cold `synco pull` of an
# application with the same uploads and a near-empty database (`fo`): synco
# pull --only files would still dump and seal the whole database on the source.
#
#   scripts/bench-sync.sh                                    # defaults below
#   BENCH_SYNC_SIZE=100MB BENCH_RUNS=1 scripts/bench-sync.sh # quick
#
# Env: BENCH_SYNC_SIZE (dump size of the generated database, default 200MB),
# BENCH_SYNC_FILES (files in the uploads tree, default 400), BENCH_SMALL_SIZE
# (30MB; "" skips), BENCH_RUNS (3), BENCH_RATES ("100mbit 20mbit"),
# BENCH_DELAY (one-way, 7.5ms → 15 ms RTT), BENCH_METHODS ("pf pull ddev rsd"),
# BENCH_SEED (1), BENCH_MYSQL_PORT (3306), BENCH_BLOCKS ("big small raw").
# Every database it creates is bench_sync_<pid>_*, dropped at exit; sshd and
# the proxy are its own children, stopped by PID.
# Raw output: bench/out/sync/ (gitignored): summary.md, results.tsv, raw/*.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out/sync}
[[ $OUT == /* ]] || OUT=$PWD/$OUT # the script changes directory; rsync --link-dest needs it absolute
SIZE=${BENCH_SYNC_SIZE:-200MB}
NFILES=${BENCH_SYNC_FILES:-400}
SMALL=${BENCH_SMALL_SIZE-30MB}
BLOCKS=${BENCH_BLOCKS:-big small raw}
RUNS=${BENCH_RUNS:-3}
RATES=${BENCH_RATES:-100mbit 20mbit}
DELAY=${BENCH_DELAY:-7.5ms}
METHODS=${BENCH_METHODS:-pf pull ddev rsd}
SEED=${BENCH_SEED:-1}
MYPORT=${BENCH_MYSQL_PORT:-3306}
TAG=bench_sync_$$

BIN=$OUT/bin
DATA=$OUT/data
RAW=$OUT/raw
W=$OUT/work
RES=$OUT/results.tsv

log() { printf '\n== %s\n' "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
MYSQL=(mysql -h 127.0.0.1 -P "$MYPORT" -u root)
DUMPCMD="mysqldump -h 127.0.0.1 -P $MYPORT -u root --single-transaction --quick"

# summary RESULTS.tsv: medians per (block, rate, day, method) and ratios to ddev.
summary() {
	awk -F'\t' '
	function med(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
		return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	NR == 1 { next }
	{
		k = $1 SUBSEP $2 SUBSEP $4 SUBSEP $5
		if (!(k in ms)) { order[++n] = k }
		ms[k] = ms[k] " " $6; at[k, $3] = $6; up[k] = up[k] " " $7; dn[k] = dn[k] " " $8; runs[k] = runs[k] " " sprintf("%.1f", $6/1000)
		if ($10 != "ok" && $10 != "-") bad[k] = bad[k] " run " $3 ": " $10
		if ($10 == "ok") checked[k]++
	}
	END {
		print "| block | rate | day | method | wall, median (runs) | down MB | up MB | wall / ddev (fo: / tar), of medians | same, median of per-round ratios | down bytes / same | checked |"
		print "|---|---|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, SUBSEP)
			bm = (f[1] == "fo") ? ((f[4] == "tar") ? "" : "tar") : "ddev"
			base = f[1] SUBSEP f[2] SUBSEP f[3] SUBSEP bm
			r = (base in ms && f[4] != bm) ? sprintf("%.2f×", med(ms[k]) / med(ms[base])) : ""
			rb = (base in ms && f[4] != bm) ? sprintf("%.2f×", med(dn[k]) / med(dn[base])) : ""
			rr = ""
			if (base in ms && f[4] != bm) {
				pr = ""
				for (q = 1; q <= 99; q++) if (((k, q) in at) && ((base, q) in at)) pr = pr " " at[k, q] / at[base, q]
				if (pr != "") rr = sprintf("%.2f×", med(substr(pr, 2)))
			}
			printf "| %s | %s | %s | %s | %.2f s (%s) | %.1f | %.2f | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], med(ms[k]) / 1000, substr(runs[k], 2), med(dn[k]) / 1e6, med(up[k]) / 1e6, r, rr, rb, (k in bad) ? "**" bad[k] "**" : (checked[k] ? "identical" : "")
		}
	}' "$1"
}
if [[ ${1:-} == --summary ]]; then summary "${2:-$RES}"; exit; fi
rm -rf "$RAW" "$W"
mkdir -p "$BIN" "$DATA" "$RAW" "$W"
printf 'block\trate\trun\tday\tmethod\tms\tup\tdown\tconns\tok\tserver_cpu\tsynco_cpu\n' >"$RES"

# ---------------------------------------------------------------- cleanup
PIDS=()
PUB=
cleanup() {
	# No step may stop the others: under set -e, a failed kill (a publisher
	# that already exited: one that could not bind its port) ended this
	# function there, and left sshd and the link proxy running.
	set +e
	[[ -n $PUB ]] && kill -INT "$PUB" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for d in $("${MYSQL[@]}" -Nse "SHOW DATABASES LIKE '${TAG}\\_%'" 2>/dev/null); do
		"${MYSQL[@]}" -e "DROP DATABASE \`$d\`" || echo "could not drop $d" >&2
	done
	# the accounts synco's imports made to load the local databases
	"${MYSQL[@]}" -Nse "SELECT DISTINCT CONCAT('DROP USER ''', User, '''@''', Host, ''';') FROM mysql.db
		WHERE User LIKE 'synco%' AND REPLACE(Db, '\\\\_', '_') LIKE '${TAG}%'" 2>/dev/null | "${MYSQL[@]}" 2>/dev/null || true
	[[ -n ${BENCH_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TAKEN=" "
free_port() { # a port nothing listens on, and not handed out before (sets PORT)
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		[[ $TAKEN == *" $p "* ]] && continue
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		TAKEN+="$p "
		PORT=$p
		return
	done
	return 1
}

# ---------------------------------------------------------------- build, data
log "build"
cd "$ROOT"
# synco and synco-lite as scripts/build.sh makes them (static, stripped, synco-lite's
# cold packages without inlining): synco pull
# uploads the synco-lite next to synco, so its size counts on day 1.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN/" ./cmd/synco
mapfile -t LITE_FLAGS < <("$ROOT/scripts/build.sh" --lite-flags)
CGO_ENABLED=0 go build -trimpath "${LITE_FLAGS[@]}" -ldflags="-s -w" -o "$BIN/" ./cmd/synco-lite
go build -o "$BIN/" ./bench/gen ./bench/ratelimit
# What the methods need, installed before the data is made (minutes): a fresh
# machine may have no sshd, and the bench would fail after loading the data.
. "$ROOT/scripts/install-pkg.sh"
need() { install_pkg "$1" "$2" || { echo "bench-sync: $1 is missing and $2 could not be installed" >&2; exit 1; }; }
need rsync rsync
need sshd openssh-server
need ssh openssh-client

gen_sql() { # size day file: the generator's MySQL 8 dump, with a collation MariaDB knows
	[[ -s $3 ]] && return
	"$BIN/gen" sql -seed "$SEED" -day "$2" -size "$1" -out "$3.tmp"
	sed -i 's/utf8mb4_0900_ai_ci/utf8mb4_unicode_ci/g' "$3.tmp"
	mv "$3.tmp" "$3"
}
stamp="gen=$(sha256sum "$BIN/gen" | cut -c1-16) seed=$SEED"
[[ $(cat "$DATA/stamp" 2>/dev/null) == "$stamp" ]] || { rm -rf "$DATA"; mkdir -p "$DATA"; echo "$stamp" >"$DATA/stamp"; }
log "generate data (seed $SEED: sql $SIZE, $NFILES files; small sql $SMALL)"
for d in 1 2; do
	gen_sql "$SIZE" "$d" "$DATA/big.$SIZE.day$d.sql"
	[[ -n $SMALL ]] && gen_sql "$SMALL" "$d" "$DATA/small.$SMALL.day$d.sql"
	gen_sql 200KB "$d" "$DATA/fo.200KB.day$d.sql"
	if [[ ! -d $DATA/files.$NFILES.day$d ]]; then
		"$BIN/gen" files -seed "$SEED" -day "$d" -n "$NFILES" -out "$DATA/files.$NFILES.day$d.tmp" >&2
		mv "$DATA/files.$NFILES.day$d.tmp" "$DATA/files.$NFILES.day$d"
	fi
done

# ---------------------------------------------------------------- source
# A WordPress-like application per block: wp-config.php names the database
# ${TAG}_<block>; days are swapped in by RENAME TABLE from ${TAG}_<block>_d1/_d2
# and by renaming the uploads directory (both instant, so a day switch costs
# nothing and the data of each day is always the same bytes).
TABLES=(cache_entries content event_log orders sessions users)
wpconfig() { # dir db
	mkdir -p "$1/wp-content/uploads"
	cat >"$1/wp-config.php" <<EOF
<?php
define( 'DB_NAME', '$2' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:$MYPORT' );
\$table_prefix = 'wp_';
EOF
}
declare -A DAY
setup_block() { # block sqlprefix filesdir|""
	local b=$1 t0
	"${MYSQL[@]}" -e "CREATE DATABASE ${TAG}_$b; CREATE DATABASE ${TAG}_${b}_d1; CREATE DATABASE ${TAG}_${b}_d2"
	for d in 1 2; do
		t0=$(now_ms)
		"${MYSQL[@]}" "${TAG}_${b}_d$d" <"$2.day$d.sql"
		echo "load $b day $d: $(($(now_ms) - t0)) ms" >&2
	done
	wpconfig "$W/src/$b" "${TAG}_$b"
	rmdir "$W/src/$b/wp-content/uploads"
	mkdir -p "$W/src/$b.files"
	# Day 2's tree hard-links the files day 1 already had unchanged, so they
	# keep their inode and change time as on a real server, where a day's
	# uploads change in place (a full copy would make the publisher re-read
	# every file; rsync's size-and-mtime check would not notice).
	if [[ -n $3 ]]; then
		cp -a "$3.day1" "$W/src/$b.files/d1"
		rsync -a --link-dest="$W/src/$b.files/d1" "$3.day2/" "$W/src/$b.files/d2/"
	else
		mkdir -p "$W/src/$b.files/d1" "$W/src/$b.files/d2"
	fi
	DAY[$b]=0
}
set_day() { # block day
	local b=$1 d=$2 old=${DAY[$1]} q=() t
	[[ $old == "$d" ]] && return
	for t in "${TABLES[@]}"; do
		[[ $old != 0 ]] && q+=("${TAG}_$b.$t TO ${TAG}_${b}_d$old.$t")
		q+=("${TAG}_${b}_d$d.$t TO ${TAG}_$b.$t")
	done
	"${MYSQL[@]}" -e "RENAME TABLE $(IFS=,; echo "${q[*]}")"
	[[ $old != 0 ]] && mv "$W/src/$b/wp-content/uploads" "$W/src/$b.files/d$old"
	mv "$W/src/$b.files/d$d" "$W/src/$b/wp-content/uploads"
	DAY[$b]=$d
}
checksums() { # db: one line per table
	local t
	for t in "${TABLES[@]}"; do "${MYSQL[@]}" -Nse "CHECKSUM TABLE \`$1\`.\`$t\`" | cut -f2; done | paste -sd' '
}
treehash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-16); }

log "load the source databases"
has() { [[ " $BLOCKS " == *" $1 "* ]]; }
has big && setup_block big "$DATA/big.$SIZE" "$DATA/files.$NFILES"
has small && [[ -n $SMALL ]] && setup_block small "$DATA/small.$SMALL" ""
has raw && setup_block fo "$DATA/fo.200KB" "$DATA/files.$NFILES"

# ---------------------------------------------------------------- sshd, link
log "sshd and the link"
free_port && SSHD_PORT=$PORT
free_port && SSH_P=$PORT
free_port && PUB_PORT=$PORT
free_port && PUB_P=$PORT
free_port && CTL=$PORT
K=$W/ssh
mkdir -p "$K" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$K/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$K/client_ed25519"
cp "$K/client_ed25519.pub" "$K/authorized_keys"
cat >"$K/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $K/host_ed25519
PidFile $K/sshd.pid
AuthorizedKeysFile $K/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
EOF
cat >"$K/ssh_config" <<EOF
Host bench-src
  HostName 127.0.0.1
  Port $SSH_P
  User $(id -un)
  IdentityFile $K/client_ed25519
  IdentitiesOnly yes
  HostKeyAlias bench-src
  UserKnownHostsFile $K/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
echo "bench-src $(cut -d' ' -f1,2 "$K/host_ed25519.pub")" >"$K/known_hosts"
for try in 1 2 3 4 5; do # another program may take the port first: pick another
	"$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$K/sshd_config" 2>"$RAW/sshd.log" &
	SSHD_PID=$!
	sleep 0.5
	kill -0 "$SSHD_PID" 2>/dev/null && break
	[[ $try == 5 ]] && { cat "$RAW/sshd.log" >&2; exit 1; }
	free_port && SSHD_PORT=$PORT
	sed -i "s/^Port .*/Port $SSHD_PORT/" "$K/sshd_config"
done
PIDS+=("$SSHD_PID")
"$BIN/ratelimit" -map "127.0.0.1:$SSH_P=127.0.0.1:$SSHD_PORT" -map "127.0.0.1:$PUB_P=127.0.0.1:$PUB_PORT" \
	-rate 0 -delay "$DELAY" -ctl "127.0.0.1:$CTL" 2>"$RAW/ratelimit.log" &
PIDS+=($!)
SSH="ssh -F $K/ssh_config"
for _ in $(seq 50); do $SSH bench-src true 2>/dev/null && break; sleep 0.2; done
$SSH bench-src true
ctl() { curl -sf "http://127.0.0.1:$CTL/$1"; }
link_stats() { ctl stats; }

# ---------------------------------------------------------------- machine
{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "code: $(git rev-parse --short HEAD) + $(git status --porcelain | wc -l) changed paths"
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
	echo "mariadb: $("${MYSQL[@]}" -Nse 'SELECT VERSION()'); $(mysqldump --version); $(rsync --version | head -1); $(ssh -V 2>&1); gzip $(gzip --version | head -1 | awk '{print $2}')"
	echo "data: big sql $(stat -c %s "$DATA/big.$SIZE.day1.sql") / $(stat -c %s "$DATA/big.$SIZE.day2.sql") bytes (day 1 / 2), files $(du -sb "$DATA/files.$NFILES.day1" | cut -f1) / $(du -sb "$DATA/files.$NFILES.day2" | cut -f1) bytes ($NFILES files); small sql ${SMALL:+$(stat -c %s "$DATA/small.$SMALL.day1.sql")}"
	has big && echo "mariadb size on disk (big, day 1): $("${MYSQL[@]}" -Nse "SELECT SUM(data_length+index_length) FROM information_schema.tables WHERE table_schema='${TAG}_big_d1'")"
	echo "link: rates $RATES, one-way delay $DELAY; runs $RUNS; methods $METHODS"
} | tee "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- methods
# Each method syncs block B into its own local state under $W/local/B.M
# (project dir, local database ${TAG}_B_l_M, caches). reset wipes it (day 1).
reset() { # block method
	local L=$W/local/$1.$2
	rm -rf "$L" "$W/remote/$1.$2" "$W/state/$1.$2" "$W/cache/$1.$2"
	"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS ${TAG}_$1_l_$2"
	wpconfig "$L" "${TAG}_$1_l_$2"
	mkdir -p "$W/remote/$1.$2" "$W/state/$1.$2" "$W/cache/$1.$2"
}

run_pf() { # block logprefix
	local b=$1 L=$W/local/$1.pf tok=$2.token
	(cd "$W/src/$b" && exec "$BIN/synco-lite" publish --listen "127.0.0.1:$PUB_PORT" --url "http://127.0.0.1:$PUB_P" \
		--state-dir "$W/state/$b.pf") >"$tok" 2>"$2.publish.log" &
	PUB=$!
	for _ in $(seq 60000); do
		[[ $(wc -l <"$tok") -ge 1 ]] && break
		kill -0 "$PUB" 2>/dev/null || { cat "$2.publish.log" >&2; return 1; }
		sleep 0.01
	done
	local rc=0
	(cd "$L" && SYNCO_TOKEN=$(awk '{print $3}' "$tok") exec /usr/bin/time -f '%U %S' -o "$2.cpu" \
		"$BIN/synco" fetch --yes --delete --json --cache "$W/cache/$b.pf") >"$2.json" 2>"$2.log" || rc=$?
	kill -INT "$PUB" 2>/dev/null || true
	wait "$PUB" || true
	PUB=
	return $rc
}
run_pull() {
	local b=$1
	(cd "$W/local/$b.pull" && SYNCO_SSH=$SSH exec /usr/bin/time -f '%U %S' -o "$2.cpu" "$BIN/synco" pull "bench-src:$W/src/$b" \
		--yes --delete --json --remote-dir "$W/remote/$b.pull" --cache "$W/cache/$b.pull") >"$2.json" 2>"$2.log"
}
run_ddev() {
	local b=$1 db=${TAG}_$1_l_ddev L=$W/local/$1.ddev
	"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" || return
	$SSH bench-src "set -o pipefail; $DUMPCMD ${TAG}_$b | gzip" 2>"$2.log" | gunzip | "${MYSQL[@]}" "$db" || return
	rsync -az --delete --stats -e "$SSH" "bench-src:$W/src/$b/wp-content/uploads/" "$L/wp-content/uploads/" >"$2.rsync-files.txt"
}
run_rsd() {
	local b=$1 db=${TAG}_$1_l_rsd L=$W/local/$1.rsd
	$SSH bench-src "$DUMPCMD ${TAG}_$b >$W/src/$b.dump.sql" 2>"$2.log" || return
	rsync -z --stats -e "$SSH" "bench-src:$W/src/$b.dump.sql" "$L/dump.sql" >"$2.rsync-dump.txt" || return
	"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" || return
	"${MYSQL[@]}" "$db" <"$L/dump.sql" || return
	rsync -az --delete --stats -e "$SSH" "bench-src:$W/src/$b/wp-content/uploads/" "$L/wp-content/uploads/" >"$2.rsync-files.txt"
}

run_tar() {
	$SSH bench-src "tar -C $W/src/$1/wp-content/uploads -cf - ." 2>"$2.log" | tar -C "$W/local/$1.tar/wp-content/uploads" -xf -
}

# server_cpu: CPU seconds the database server has used so far (user + system).
server_cpu() {
	local pid
	pid=$(pgrep -o -x mariadbd || pgrep -o -x mysqld || true)
	[[ -n $pid ]] || { echo 0; return; }
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$pid/stat"
}

# measure block rate run day method [check]: one timed sync, one row of results
# (with the CPU seconds of the database server and, for synco, of the local
# synco process: the install's work is split between the two).
measure() {
	local b=$1 rate=$2 run=$3 day=$4 m=$5 check=${6:-} pre post t0 ms ok=- lp srv0 srv cpu=-
	lp=$RAW/$b.$rate.r$run.d$day.$m
	pre=$(link_stats)
	srv0=$(server_cpu)
	t0=$(now_ms)
	if ! "run_$m" "$b" "$lp"; then
		echo "FAILED: $b $rate run $run day $day $m (logs $lp.*)" >&2
		tail -5 "$lp.log" >&2 || true
		ok=FAILED
	fi
	ms=$(($(now_ms) - t0))
	srv=$(awk -v a="$srv0" -v b="$(server_cpu)" 'BEGIN { printf "%.1f", b - a }')
	[[ -s $lp.cpu ]] && cpu=$(awk 'END { printf "%.1f", $1 + $2 }' "$lp.cpu")
	for _ in $(seq 100); do [[ $(link_stats) == *active=0* ]] && break; sleep 0.05; done
	post=$(link_stats)
	if [[ -n $check && $ok == - ]]; then
		local want have
		ok=ok
		if [[ $m != tar ]]; then
			want=$(checksums "${TAG}_$b") have=$(checksums "${TAG}_${b}_l_$m")
			[[ $want == "$have" ]] || { ok=DB-DIFFERS; echo "$b $m: database differs: $have vs $want" >&2; }
		fi
		if [[ $b != small && $(treehash "$W/src/$b/wp-content/uploads") != $(treehash "$W/local/$b.$m/wp-content/uploads") ]]; then
			ok=FILES-DIFFER
			echo "$b $m: files differ" >&2
		fi
	fi
	read -r up down conns < <(awk -v a="$pre" -v b="$post" 'BEGIN{
		split(a, x, /[ =]/); split(b, y, /[ =]/); print y[2]-x[2], y[4]-x[4], y[6]-x[6] }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$rate" "$run" "$day" "$m" "$ms" "$up" "$down" "$conns" "$ok" "$srv" "$cpu" >>"$RES"
	printf '  %-5s %-7s run %s day %s %-4s %7.2f s  down %6.1f MB  up %5.1f MB  cpu: server %5s s, synco %5s s  %s\n' "$b" "$rate" "$run" "$day" "$m" \
		"$(awk -v x="$ms" 'BEGIN{print x/1000}')" "$(awk -v x="$down" 'BEGIN{print x/1e6}')" "$(awk -v x="$up" 'BEGIN{print x/1e6}')" "$srv" "$cpu" "$ok" >&2
}

# rotate the method list by N so each method runs first, middle and last.
rotate() { local n=$1; shift; local a=("$@"); local k=${#a[@]}; for i in $(seq 0 $((k - 1))); do echo -n "${a[$(((i + n) % k))]} "; done; }

# ---------------------------------------------------------------- run
read -ra MS <<<"$METHODS"
read -ra RS <<<"$RATES"
day_block() { # block rate run methods...
	local b=$1 rate=$2 run=$3 m check=
	shift 3
	[[ $run == 1 ]] && check=1
	set_day "$b" 1
	for m in "$@"; do reset "$b" "$m"; done
	for m in "$@"; do measure "$b" "$rate" "$run" 1 "$m" "$check"; done
	set_day "$b" 2
	for m in $(rotate 1 "$@"); do measure "$b" "$rate" "$run" 2 "$m" "$check"; done
}
if has raw; then # install the agent once (unmeasured) for the raw block's cold pulls
	ctl "set?rate=0&delay=$DELAY" >&2
	set_day fo 1
	reset fo pull
	run_pull fo "$RAW/fo.agent-install"
	mkdir -p "$W/agent"
	find "$W/remote/fo.pull" -mindepth 1 -maxdepth 1 ! -name state -exec cp -a {} "$W/agent/" \;
fi
for run in $(seq "$RUNS"); do
	has big && for rate in "${RS[@]}"; do
		log "run $run, $rate: big (methods $(rotate "$run" "${MS[@]}"))"
		ctl "set?rate=$rate&delay=$DELAY" >&2
		echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
		# shellcheck disable=SC2046
		day_block big "$rate" "$run" $(rotate "$run" "${MS[@]}")
	done
	if has small && [[ -n $SMALL ]]; then
		log "run $run, ${RS[0]}: small database, no files"
		ctl "set?rate=${RS[0]}&delay=$DELAY" >&2
		# shellcheck disable=SC2046
		day_block small "${RS[0]}" "$run" $(rotate "$run" pf pull ddev)
	fi
	# raw: the uploads (day 1) as one uncompressed tar stream through the same ssh,
	# next to a cold `synco pull` of block fo (the same uploads, a 200 KB
	# database), agent already on the source, its state and the local cache empty.
	has raw && for rate in "${RS[@]}"; do
		log "run $run, $rate: raw tar stream over ssh vs cold pull of the same uploads"
		ctl "set?rate=$rate&delay=$DELAY" >&2
		echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
		set_day fo 1
		for m in $(rotate "$run" tar pull); do
			reset fo "$m"
			[[ $m == pull ]] && cp -a "$W/agent/." "$W/remote/fo.pull/"
			measure fo "$rate" "$run" 1 "$m" check
		done
	done
done

# ---------------------------------------------------------------- summary
log "summary"
{ sed 's/^/    /' "$OUT/machine.txt"; echo; summary "$RES"; } | tee "$OUT/summary.md"
