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

# wait_port_free PORT...: a server of a script run just before may still hold a port while it drains (the scripts'
# traps do not wait for their servers to exit), and a new server on it would fail to bind. Waits up to a minute for
# each port to be free.
wait_port_free() {
  local p
  for p in "$@"; do
    for _ in $(seq 120); do (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break; sleep 0.5; done
  done
}

# start_variant OUT_DIR NAME PORT REPO [ENV=VALUE ...]: starts one server of a side-by-side script in the background
# (its PID in $!; standard output, the request log, dropped; standard error to OUT_DIR/NAME.err). By NAME: "ceiling*"
# the bare-Kestrel ceiling of this tree, "baseceiling*" the one in BASE_CEILING_DLL, "base*" the server in BASE_DLL
# (another build, e.g. of a git worktree), anything else this tree's Release build of the server.
start_variant() {
  local out=$1 name=$2 port=$3 repo=$4
  shift 4
  local dll
  case $name in
    ceiling*) dll=tests/AiServe.Benchmarks/bin/Release/net10.0/AiServe.Benchmarks.dll ;;
    baseceiling*) dll=$BASE_CEILING_DLL ;;
    base*) dll=$BASE_DLL ;;
    *) dll=src/AiServe.Server/bin/Release/net10.0/AiServe.Server.dll ;;
  esac
  local mode=()
  [[ $name == ceiling* || $name == baseceiling* ]] && mode=(ceiling)
  wait_port_free "$port"
  env "$@" dotnet "$dll" "${mode[@]}" --urls "http://127.0.0.1:$port" --models "$repo" >/dev/null 2>"$out/$name.err" &
}

# wait_ready PORT...: waits (up to a minute each) until every server on these ports answers ready.
wait_ready() {
  local p
  for p in "$@"; do
    for _ in $(seq 120); do curl -sf "http://127.0.0.1:$p/v2/health/ready" >/dev/null && break; sleep 0.5; done
  done
}
