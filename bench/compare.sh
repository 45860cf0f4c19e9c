#!/usr/bin/env bash
# Side by side with Redis and PostgreSQL: one dataset, one workload, three systems.
#
#   bench/compare.sh [--quick] [--build DIR] [--work DIR] [--out DIR] [--seconds S]
#                    [--customers N] [--only crm,redis,pg]
#
# 1. crm_dataset generates the dataset once (cached in the work directory):
#    a crm data directory, Redis commands, PostgreSQL COPY files, the keys.
# 2. Each system is started on 127.0.0.1 on a free port in a temporary
#    directory, loaded, measured, and stopped before the next one starts, so
#    no two compete for the cores: PostgreSQL (run as an unprivileged user),
#    Redis, then crmd.
# 3. The same crm_loadgen runs are made against each: the card by phone on
#    the grid 1/50 connections x pipeline depth 1/16, unpinned and pinned
#    (server on CPU 0, load generator on CPU 1); durable inserts; a mixed
#    workload; an open-loop run at a fixed rate; the tier report (crm's
#    maintained value model; PostgreSQL's nearest GROUP BY; Redis has none).
# 4. Results: OUT/results.tsv (one line per run and operation), results.jsonl,
#    table.md (side by side with ratios, from `crm_loadgen table`), env.txt.
#
# --quick: a tiny dataset and short runs (the ctest smoke test); a peer whose
# server is not installed is skipped with a message. Everything started is
# stopped on exit (trap), and every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
BUILD=build/release
WORK=
OUT=
SECONDS_PER_RUN=
CUSTOMERS=
ONLY=crm,redis,pg
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --build) BUILD=$2; shift ;;
    --work) WORK=$2; shift ;;
    --out) OUT=$2; shift ;;
    --seconds) SECONDS_PER_RUN=$2; shift ;;
    --customers) CUSTOMERS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then
  CUSTOMERS=${CUSTOMERS:-2000}
  RUN=${SECONDS_PER_RUN:-0.3}
  WARMUP=0.1
  OPEN_RATE=1000
else
  CUSTOMERS=${CUSTOMERS:-1000000}
  RUN=${SECONDS_PER_RUN:-5}
  WARMUP=1
  OPEN_RATE=5000
fi
INTERACTIONS=$((CUSTOMERS * 10))
TRANSACTIONS=$((CUSTOMERS * 2))
WORK=${WORK:-build/compare}
DATA="$WORK/data-$CUSTOMERS"
OUT=${OUT:-$WORK/results-$(date +%Y%m%d-%H%M%S)}
LOADGEN="$BUILD/bench/crm_loadgen"
for bin in "$BUILD/tools/crmd" "$BUILD/bench/crm_dataset" "$LOADGEN"; do
  [ -x "$bin" ] || { echo "compare.sh: $bin is missing; build first (tools/dev.sh build)" >&2; exit 1; }
done
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd)
TSV="$OUT/results.tsv"
: >"$TSV"
: >"$OUT/results.jsonl"
# In CI the peers are installed (tools/dev.sh): a missing one is an error there.
missing_peer() {
  echo "compare.sh: $1 not installed; skipped" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
}

log() { echo "== $(date +%H:%M:%S) $*"; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }

# --- what runs where
CPUS=$(nproc)
PLACEMENTS=(unpinned)
if [ "$CPUS" -ge 2 ]; then PLACEMENTS+=(pinned); fi
server_cpus() { [ "$1" = pinned ] && echo 0 || echo "0-$((CPUS - 1))"; }
client_prefix() { [ "$1" = pinned ] && echo "taskset -c 1" || echo ""; }
client_threads() { [ "$1" = pinned ] && echo 1 || echo 2; }

# --- cleanup of everything started here
TMP=$(mktemp -d /tmp/crm-compare.XXXXXX)
chmod 755 "$TMP"
PIDS=()
PG_DATA=
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop PID: SIGTERM, then SIGKILL after 30 s.
stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# A port nobody listens on, below the kernel's ephemeral range (so no
# outgoing connection can take it between this check and the server's bind).
free_port() {
  local low p
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 11000 ] || low=32768
  for _ in $(seq 100); do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "compare.sh: no free port" >&2; exit 1
}

# Writes the page cache out before a system is measured, so no run pays for
# the previous one's (or its own load's) dirty pages in its fsyncs.
settle() { timeout 600 sync || true; }

# wait_port PORT SECONDS PID: until something accepts on the port.
wait_port() {
  local port=$1 limit=$2 pid=$3
  for _ in $(seq $((limit * 5))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "compare.sh: server exited before listening" >&2; return 1; }
    sleep 0.2
  done
  echo "compare.sh: nothing listens on $port after ${limit}s" >&2
  return 1
}

# pin PID CPUS: the process, its threads, and its children's.
pin() {
  local pid=$1 cpus=$2 p
  taskset -a -p -c "$cpus" "$pid" >/dev/null
  # Children from /proc (no procps needed): Pid comes before PPid in status.
  for p in $(awk -v parent="$pid" '/^Pid:/ {p = $2} /^PPid:/ && $2 == parent {print p}' \
               /proc/[0-9]*/status 2>/dev/null); do
    taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1 || true
  done
}

# run SYSTEM LABEL PLACEMENT CONNS DEPTH MIX DURABILITY [loadgen args...]
run() {
  local system=$1 label=$2 placement=$3 conns=$4 depth=$5 mix=$6 durability=$7
  shift 7
  # shellcheck disable=SC2046
  $(client_prefix "$placement") "$LOADGEN" --system "$system" --port "$PORT" "${TARGET_ARGS[@]}" \
    --keys "$DATA/keys.tsv" --connections "$conns" --depth "$depth" \
    --threads "$(client_threads "$placement")" --duration "$RUN" --warmup "$WARMUP" \
    --mix "$mix" --label "$label" --durability "$durability" \
    --tsv "$TSV" --json "$OUT/results.jsonl" "$@" || {
      echo "compare.sh: $system $label failed" >&2; return 1; }
}

# The mixed workload (the tier report runs on its own: see the README).
MIX="card_phone=60,card_id=10,history=10,insert_interaction=10,insert_transaction=10"
# grid SYSTEM PLACEMENT DURABILITY: the card by phone on 1/50 connections x
# depth 1/16, DURABILITY stated next to the figures.
grid() {
  local system=$1 placement=$2 durability=$3 conns depth
  for conns in 1 50; do
    for depth in 1 16; do
      run "$system" "card by phone, $placement ${conns}x$depth" "$placement" "$conns" "$depth" \
        card_phone "$durability"
    done
  done
}

# --- 0. the machine
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -sr)"
  echo "cpus: $CPUS x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dataset: $CUSTOMERS customers, $INTERACTIONS interactions, $TRANSACTIONS transactions"
  echo "runs: ${RUN}s measured after ${WARMUP}s warm-up each"
} | tee "$OUT/env.txt"

# --- 1. the dataset
log "dataset ($DATA)"
# The smoke run always regenerates its tiny dataset (a fraction of a second),
# so it follows any change to the generator or the export.
if [ "$QUICK" = 1 ]; then rm -rf "$DATA"; fi
"$BUILD/bench/crm_dataset" --dir "$DATA" --customers "$CUSTOMERS" --interactions "$INTERACTIONS" \
  --transactions "$TRANSACTIONS"
DATA=$(cd "$DATA" && pwd)

# --- 2. PostgreSQL
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if want pg && [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] && command -v psql >/dev/null; then
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then as_pg=(runuser -u postgres --); else as_pg=(none); fi
  fi
  if [ "${as_pg[0]:-}" = none ]; then
    missing_peer "a postgres user to run PostgreSQL as (running as root)"
  else
    PORT=$(free_port)
    PG_DATA="$TMP/pg"
    mkdir -p "$PG_DATA" "$TMP/pgsock"
    [ ${#as_pg[@]} -gt 0 ] && chown postgres "$PG_DATA" "$TMP/pgsock"
    log "postgres: initdb, start on 127.0.0.1:$PORT"
    timeout 120 "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 \
      --locale=C >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; exit 1; }
    # shared_buffers: the dataset's working set fits; fsync on; commits wait
    # for their WAL flush unless a run sets synchronous_commit=off.
    SHARED_BUFFERS=$([ "$QUICK" = 1 ] && echo 128MB || echo 4GB)
    "${as_pg[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$PORT" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories="$TMP/pgsock" -c shared_buffers="$SHARED_BUFFERS" \
      -c max_connections=200 -c fsync=on -c synchronous_commit=on -c wal_level=minimal \
      -c max_wal_senders=0 -c max_wal_size=16GB -c checkpoint_timeout=1h -c jit=off \
      >"$TMP/postgres.log" 2>&1 &
    PG_PID=$!
    PIDS+=("$PG_PID")
    wait_port "$PORT" 60 "$PG_PID" || { cat "$TMP/postgres.log" >&2; exit 1; }
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
    for _ in $(seq 50); do "${PSQL[@]}" -c 'SELECT 1' postgres >/dev/null 2>&1 && break; sleep 0.2; done
    "${PSQL[@]}" -c 'CREATE DATABASE crm' postgres
    log "postgres: load (COPY in the transaction that creates the tables, then indexes)"
    {
      cat bench/peers/pg_schema.sql
      for t in users customers phones relations contacts interactions transactions opportunities \
               contracts tasks; do
        echo "\\copy $t FROM '$DATA/pg/$t.copy'"
      done
    } >"$TMP/load.sql"
    timeout 1800 "${PSQL[@]}" -1 -f "$TMP/load.sql" crm
    timeout 1800 "${PSQL[@]}" -f bench/peers/pg_index.sql crm
    timeout 600 "${PSQL[@]}" -f "$DATA/pg/sequences.sql" crm >/dev/null
    # The visibility map set, so counts are index-only scans.
    timeout 1800 "${PSQL[@]}" -c 'VACUUM (ANALYZE)' crm
    "${PSQL[@]}" -c 'CHECKPOINT' crm
    echo "postgres database: $("${PSQL[@]}" -A -t -c "SELECT pg_size_pretty(pg_database_size('crm'))" crm)" |
      tee -a "$OUT/env.txt"
    TARGET_ARGS=(--pg-conninfo "dbname=crm user=postgres")
    settle
    for placement in "${PLACEMENTS[@]}"; do
      pin "$PG_PID" "$(server_cpus "$placement")"
      log "postgres: $placement"
      grid pg "$placement" "synchronous_commit=on"
      if [ "$placement" = unpinned ]; then
        run pg "durable inserts, 50x16" unpinned 50 16 insert_interaction "synchronous_commit=on"
        run pg "durable inserts, 50x1" unpinned 50 1 insert_interaction "synchronous_commit=on"
        run pg "relaxed inserts, 50x16 (peers only)" unpinned 50 16 insert_interaction \
          "synchronous_commit=off" --pg-options "-c synchronous_commit=off"
        run pg "mixed workload, 50x1" unpinned 50 1 "$MIX" "synchronous_commit=on"
        run pg "card by phone, open loop ${OPEN_RATE}/s, 50x1" unpinned 50 1 card_phone \
          "synchronous_commit=on" --rate "$OPEN_RATE"
        run pg "tier report, 1x1" unpinned 1 1 report "synchronous_commit=on"
      fi
    done
    # The insert workloads grew the tables; the next run loads afresh anyway.
    log "postgres: stop"
    stop "$PG_PID"
  fi
else
  if want pg; then missing_peer "PostgreSQL (postgresql)"; fi
fi

# --- 3. Redis
if want redis && command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  PORT=$(free_port)
  mkdir -p "$TMP/redis"
  log "redis: start on 127.0.0.1:$PORT (appendonly yes, appendfsync everysec)"
  # The AOF is written as the load arrives (sequential appends, no rewrite:
  # cheaper than loading first and rewriting the whole data set after).
  redis-server --port "$PORT" --bind 127.0.0.1 --dir "$TMP/redis" --appendonly yes \
    --appendfsync everysec --auto-aof-rewrite-percentage 0 --save "" --protected-mode no \
    --daemonize no --logfile "$TMP/redis.log" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_port "$PORT" 60 "$REDIS_PID" || { cat "$TMP/redis.log" >&2; exit 1; }
  log "redis: load (redis-cli --pipe)"
  timeout 1800 redis-cli -p "$PORT" --pipe <"$DATA/redis.resp" >"$TMP/redis-load.log" 2>&1 ||
    { cat "$TMP/redis-load.log" >&2; exit 1; }
  grep -q 'errors: 0' "$TMP/redis-load.log" || { cat "$TMP/redis-load.log" >&2; exit 1; }
  redis-cli -p "$PORT" INFO memory | grep -E '^used_memory_human' | tee -a "$OUT/env.txt"
  TARGET_ARGS=()
  settle
  for placement in "${PLACEMENTS[@]}"; do
    pin "$REDIS_PID" "$(server_cpus "$placement")"
    log "redis: $placement"
    grid redis "$placement" "appendfsync everysec"
    run redis "card by phone, $placement 1x1" "$placement" 1 1 hgetall "appendfsync everysec"
    if [ "$placement" = unpinned ]; then
      redis-cli -p "$PORT" CONFIG SET appendfsync always >/dev/null
      run redis "durable inserts, 50x16" unpinned 50 16 insert_interaction "appendfsync always"
      run redis "durable inserts, 50x1" unpinned 50 1 insert_interaction "appendfsync always"
      run redis "mixed workload, 50x1" unpinned 50 1 "$MIX" "appendfsync always"
      run redis "card by phone, open loop ${OPEN_RATE}/s, 50x1" unpinned 50 1 card_phone \
        "appendfsync always" --rate "$OPEN_RATE"
      redis-cli -p "$PORT" CONFIG SET appendfsync everysec >/dev/null
      run redis "relaxed inserts, 50x16 (peers only)" unpinned 50 16 insert_interaction \
        "appendfsync everysec"
    fi
  done
  log "redis: stop"
  stop "$REDIS_PID"
else
  if want redis; then missing_peer "Redis (redis-server, redis-tools)"; fi
fi

# --- 4. crm
if want crm; then
  # The inserts of earlier runs stay in the data directory; they are a small
  # fraction of it (at most a few hundred thousand records).
  for placement in "${PLACEMENTS[@]}"; do
    PORT=$(free_port)
    threads=$([ "$placement" = pinned ] && echo 1 || echo 2)
    log "crmd: start on 127.0.0.1:$PORT ($placement, $threads io threads, durable)"
    taskset -c "$(server_cpus "$placement")" "$BUILD/tools/crmd" --data "$DATA/crm" \
      --port "$PORT" --threads "$threads" >"$TMP/crmd.log" 2>&1 &
    CRMD_PID=$!
    PIDS+=("$CRMD_PID")
    wait_port "$PORT" 600 "$CRMD_PID" || {
      cat "$TMP/crmd.log" >&2
      echo "compare.sh: a dataset made by an older build may not open; remove $DATA to make it again" >&2
      exit 1
    }
    TARGET_ARGS=(--token-file "$DATA/crm/admin.token")
    settle
    # Anonymous memory: the store itself (LMDB's mapped file pages are page cache).
    echo "crmd anonymous memory: $(awk '/RssAnon/ {printf "%.2f GiB", $2 / 1048576}' "/proc/$CRMD_PID/status")" |
      tee -a "$OUT/env.txt"
    D="fsync per group commit"
    grid crm "$placement" "$D"
    if [ "$placement" = unpinned ]; then
      run crm "durable inserts, 50x16" unpinned 50 16 insert_interaction "$D"
      run crm "durable inserts, 50x1" unpinned 50 1 insert_interaction "$D"
      run crm "mixed workload, 50x1" unpinned 50 1 "$MIX" "$D"
      run crm "card by phone, open loop ${OPEN_RATE}/s, 50x1" unpinned 50 1 card_phone "$D" \
        --rate "$OPEN_RATE"
      run crm "tier report, 1x1" unpinned 1 1 report "$D"
    fi
    log "crmd: stop"
    stop "$CRMD_PID"
  done
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/env.txt"
"$LOADGEN" table "$TSV" | tee "$OUT/table.md"
log "results in $OUT (${SECONDS}s in all)"
