#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (docs/FUZZING.md) on the stable toolchain:
# cargo-fuzz builds them with coverage and no sanitizer (`-s none`; RUSTC_BOOTSTRAP=1
# lets libfuzzer-sys use the unstable flags it needs).
#   scripts/fuzz.sh [TARGET...]     fuzz each target FUZZ_SECONDS (default 60) seconds
#   scripts/fuzz.sh --smoke         replay every committed input, then fuzz FUZZ_SECONDS
#                                   (default 3) a target: the step of `make test`
# FUZZ_TARGETS="jwt session" (or the arguments) picks targets; names are exact.
# New inputs go to fuzz/target/corpus/<target> (not committed); the committed seeds and
# crash regressions in fuzz/corpus/<target> are read, never written. Crashes land in
# fuzz/artifacts/<target>/ and fail the run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ODP_ROOT"

smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
seconds="${FUZZ_SECONDS:-$([ $smoke = 1 ] && echo 3 || echo 60)}"
all=(route percent range conditional sigv4_parse sigv4_vectors jwt oidc_docs sts_params
     list_params list_token list_walk list_xml catalog_static catalog_http session request cache_blocks)
read -r -a targets <<<"${*:-${FUZZ_TARGETS:-${all[*]}}}"

# Largest input per target: a little above the limit the code enforces, so the
# limit itself is exercised (STS form bodies 64 KiB, JWKS/discovery and catalog
# answers, session tokens 4 KiB, ID tokens 20000 chars).
max_len() {
  case "$1" in
    range|sigv4_vectors|cache_blocks) echo 1024 ;;
    conditional|percent) echo 4096 ;;
    session|list_params|list_token|list_walk) echo 8192 ;;
    route|sigv4_parse|request) echo 16384 ;;
    jwt) echo 24576 ;;
    sts_params) echo 70000 ;;
    *) echo 65536 ;;
  esac
}

# Tokens of each input language (libFuzzer -dict), shared by targets that read the same one.
dict() {
  case "$1" in
    route|sigv4_parse|request|list_params|list_walk|percent) echo fuzz/dict/http.dict ;;
    jwt|oidc_docs) echo fuzz/dict/jose.dict ;;
    list_xml) echo fuzz/dict/xml.dict ;;
    catalog_static|catalog_http) echo fuzz/dict/catalog.dict ;;
    sts_params) echo fuzz/dict/sts.dict ;;
  esac
}

for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz: unknown target $t (known: ${all[*]})" >&2; exit 2; }
done

t0=$SECONDS
# One target: build just it; otherwise all of them (one cargo invocation).
only=(); [ ${#targets[@]} = 1 ] && only=("${targets[0]}")
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none "${only[@]}"
echo "fuzz build: $((SECONDS - t0)) s"
bin="fuzz/target/x86_64-unknown-linux-gnu/release"

total=0
failed=()
printf '%-16s %12s %8s %8s %10s\n' target executions seconds corpus exec/s
for t in "${targets[@]}"; do
  work="fuzz/target/corpus/$t"
  # The smoke starts from the committed inputs only, so its time stays the same.
  if [ $smoke = 1 ]; then work="fuzz/target/smoke-corpus/$t"; rm -rf "$work"; fi
  mkdir -p "$work" "fuzz/artifacts/$t"
  log="fuzz/target/logs/$t.log"
  mkdir -p "$(dirname "$log")"
  # Bounded memory and time per input: an input that needs more is a finding.
  args=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=1024 -timeout=5
        -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/")
  d="$(dict "$t")"; [ -n "$d" ] && args+=(-dict="$d")
  start=$SECONDS
  if ! "$bin/$t" "${args[@]}" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    failed+=("$t")
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/ (log: $log):" >&2
    grep -E -A12 "panicked|ERROR: libFuzzer" "$log" | head -30 >&2 || tail -20 "$log" >&2
  fi
  took=$((SECONDS - start))
  runs="$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -1)"
  runs="${runs:-0}"
  corpus="$(find "$work" "fuzz/corpus/$t" -type f | wc -l)"
  total=$((total + runs))
  printf '%-16s %12s %8s %8s %10s\n' "$t" "$runs" "$took" "$corpus" "$((runs / (took > 0 ? took : 1)))"
done
printf '%-16s %12s %8s\n' total "$total" "$((SECONDS - t0))"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failing targets: ${failed[*]}" >&2
  exit 1
fi
