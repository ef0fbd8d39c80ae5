# Shared by the benchmark scripts (source it).
# stop_servers OUT_DIR PID...: kills the servers a script started, then keeps only the last 200 lines of each
# OUT_DIR/*.log (the servers' request logs grow by gigabytes per run).
stop_servers() {
  local dir=$1 p f
  shift
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for f in "$dir"/*.log; do
    [[ -f $f ]] && tail -n 200 "$f" > "$f.tail" && mv "$f.tail" "$f"
  done
  return 0
}
