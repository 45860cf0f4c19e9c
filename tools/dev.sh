#!/usr/bin/env bash
# Sets up, builds and runs crm on a Debian 12 machine.
#
#   tools/dev.sh demo    install dependencies, build (Release), load demo data into
#                        the default data directory, and start crmd on it
#   tools/dev.sh test    install dependencies, build Release and ASan+UBSan, and run
#                        the whole test suite under both; build the libraries and
#                        tools with clang's -Wthread-safety analysis as errors
#   tools/dev.sh bench   build Release and run the engine benchmarks (1M customers,
#                        10M interactions by default; see bench/engine_bench.cc)
#   tools/dev.sh compare [--quick]
#                        build Release and run crm side by side with Redis and
#                        PostgreSQL on one dataset (bench/compare.sh; 1M customers
#                        by default, --quick for a tiny smoke run)
#   tools/dev.sh build   install dependencies and build Release only
#
# Dependencies come from Debian's packages; installing them needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build pkg-config libboost-dev capnproto libcapnp-dev liblmdb-dev
          libxxhash-dev libphonenumber-dev libicu-dev libgtest-dev libgmock-dev libbenchmark-dev
          libpq-dev redis-server redis-tools postgresql clang)
JOBS=${JOBS:-$(nproc)}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] && [ "${CI:-}" != "true" ]; then return; fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "dev.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "== installing ${PACKAGES[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
}

# build NAME [cmake args...]
build() {
  local name=$1; shift
  echo "== building build/$name"
  cmake -S . -B "build/$name" -G Ninja "$@" >/dev/null
  cmake --build "build/$name" -j "$JOBS"
}

# ccache, when installed, keeps rebuilds of unchanged files cheap.
LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

build_release() { build release -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}"; }
build_asan() {
  build asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCRM_SANITIZE=ON \
    -DCRM_BUILD_BENCH=OFF "${LAUNCHER[@]}"
}
# clang's thread-safety analysis over every annotated lock (warnings are
# errors): the libraries and the two programs; the tests run from the builds above.
check_thread_safety() {
  echo "== building build/clang (clang -Wthread-safety)"
  CC=clang CXX=clang++ cmake -S . -B build/clang -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="-Wthread-safety" -DCRM_BUILD_BENCH=OFF "${LAUNCHER[@]}" >/dev/null
  cmake --build build/clang -j "$JOBS" --target crm_engine crm_protocol crm_client crmd crmctl
}

case "${1:-}" in
  demo)
    install_deps
    build_release
    # The tools' default data directory (tools/data_dir.h).
    data_dir="${CRM_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/crm}"
    build/release/tools/crmctl --data "$data_dir" demo
    echo
    echo "Starting crmd on $data_dir (127.0.0.1:7411; Ctrl-C stops it). In another terminal:"
    echo "  build/release/tools/crmctl card --phone +8618838640905    # the card of a demo customer"
    echo "  build/release/tools/crmctl card --email sales.2@tiancheng.com.cn --json"
    echo "  build/release/tools/crmctl history --id 1 --limit 20"
    echo "(crmctl finds the running crmd by itself; its admin token is in $data_dir/admin.token)"
    echo
    exec build/release/tools/crmd --data "$data_dir" "${@:2}"
    ;;
  test)
    install_deps
    build_release
    build_asan
    check_thread_safety
    echo "== tests (Release)"
    ctest --test-dir build/release --output-on-failure -j "$JOBS" --timeout 900
    echo "== tests (ASan + UBSan)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build/asan --output-on-failure -j "$JOBS" --timeout 900
    ;;
  bench)
    install_deps
    build_release
    build/release/bench/crm_engine_bench "${@:2}"
    ;;
  compare)
    install_deps
    build_release
    exec bench/compare.sh --build build/release "${@:2}"
    ;;
  build)
    install_deps
    build_release
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
