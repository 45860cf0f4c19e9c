#!/usr/bin/env bash
# Sets up, builds and runs crm on a Debian 12 machine.
#
#   tools/dev.sh demo    install dependencies, build (Release), load demo data into
#                        the default data directory, and print a customer card
#   tools/dev.sh test    install dependencies, build Release and ASan+UBSan, and run
#                        the whole test suite under both
#   tools/dev.sh bench   build Release and run the engine benchmarks (1M customers,
#                        10M interactions by default; see bench/engine_bench.cc)
#   tools/dev.sh build   install dependencies and build Release only
#
# Dependencies come from Debian's packages; installing them needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(g++ cmake ninja-build pkg-config libboost-dev capnproto libcapnp-dev liblmdb-dev
          libxxhash-dev libphonenumber-dev libicu-dev libgtest-dev libgmock-dev libbenchmark-dev)
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

build_release() { build release -DCMAKE_BUILD_TYPE=Release; }
build_asan() {
  build asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCRM_SANITIZE=ON \
    -DCRM_BUILD_BENCH=OFF
}

case "${1:-}" in
  demo)
    install_deps
    build_release
    phone=$(build/release/tools/crmctl demo | tee /dev/stderr |
            sed -n 's/.*crmctl card --phone \(+[0-9]*\).*/\1/p')
    if [ -z "$phone" ]; then
      # Already loaded earlier: the demo command prints the sample phone only on load.
      phone=$(build/release/tools/crmctl card --id 1 --json | sed -n 's/.*"phones":\["\([^"]*\)".*/\1/p')
    fi
    echo
    build/release/tools/crmctl card --phone "$phone"
    echo
    echo "Query any card:   build/release/tools/crmctl card --phone $phone   (or --id N, --email E, --ref R, --json)"
    echo "Walk a history:   build/release/tools/crmctl history --id 1 --limit 20"
    ;;
  test)
    install_deps
    build_release
    build_asan
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
  build)
    install_deps
    build_release
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
