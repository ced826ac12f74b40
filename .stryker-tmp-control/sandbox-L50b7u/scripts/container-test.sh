#!/usr/bin/env bash
# Container test (npm run test:container): builds the image from the unchanged Dockerfile, runs
# it, and checks it the way an operator would use it. Docs: docs/deployment.md.
#
#   1. base        ../shared/tools/container-base.sh: a stand-in for node:22-bookworm-slim
#   2. build       buildah bud --isolation chroot --pull=never --network host (the Dockerfile)
#   3. start       buildah from + buildah run (the image's own CMD, USER and ENV) on a free port
#   4. http        GET /api/health → 200 {status:"ok"}; GET /metrics → the control-tick histogram;
#                  the admin pages and their bundled assets; the image's own HEALTHCHECK command
#                  passes inside the container
#   5. websocket   a non-JS client (Python websockets + msgpack) registers a game, joins it and
#                  receives a state frame
#   6. user        the node process runs as uid 1000 (node), not root
#   7. prometheus  promtool check config / test rules on deploy/prometheus; a real Prometheus with
#                  the repo's scrape config (target → this port) reports up == 1, the
#                  control-tick histogram and the recording rules
#   8. sigterm     SIGTERM to node (as `docker stop` does): exit 0 inside Docker's 10 s grace, a
#                  connected client closed with 1001, a *.tvsnap snapshot in the container's /data
#   9. restart     the same container started again from its /data still has the registered game
#
# Needs: root (buildah), node on the host, apt-get for what is missing (buildah, podman,
# debootstrap via container-base.sh; prometheus, python3-websockets, python3-msgpack here).
# Every failure exits non-zero with a "container-test: FAIL" line; cleanup always runs.
# KEEP_WORK=1 keeps the work directory (logs, Prometheus data) for a look afterwards.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${TICKVERSE_SHARED_DIR:-$(cd "$ROOT/.." && pwd)/shared}
IMAGE=${TICKVERSE_TEST_IMAGE:-tickverse:test}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tickverse-container-test.XXXXXX")
CTR=""
RUN_PID=""
NODE_PID=""
PROM_PID=""
HOLD_PID=""
CMD=()
T0=$(date +%s.%N)
PHASES=()
PHASE=""
PHASE_T=""

log() { printf 'container-test: %s\n' "$*"; }

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

phase() {
  phase_end
  PHASE=$1
  PHASE_T=$(date +%s.%N)
  log "── $PHASE ──"
}

phase_end() {
  if [[ -n $PHASE ]]; then PHASES+=("$(printf '%-11s %6ss' "$PHASE" "$(elapsed "$PHASE_T")")"); fi
  PHASE=""
}

timings() {
  phase_end
  log "timings:"
  local p
  for p in "${PHASES[@]}"; do printf '  %s\n' "$p"; done
  printf '  %-11s %6ss\n' total "$(elapsed "$T0")"
}

show_logs() {
  local f
  for f in engine.out engine.err engine2.out engine2.err prometheus.log ws-hold.log; do
    if [[ -s $WORK/$f ]]; then
      printf -- '---- %s (last 25 lines) ----\n' "$f"
      tail -n 25 "$WORK/$f"
    fi
  done
}

FAILED=0
fail() {
  FAILED=1
  log "FAIL${PHASE:+ [$PHASE]}: $*"
  show_logs
  exit 1
}

# Stops what this script started, each by the pid it recorded.
stop_pid() {
  local pid=$1 signal=${2:-TERM}
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  local i
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$HOLD_PID"
  stop_pid "$PROM_PID"
  # The node process first (buildah run does not pass signals on), then buildah run itself.
  if [[ -z $NODE_PID && -n $RUN_PID ]] && kill -0 "$RUN_PID" 2>/dev/null; then
    NODE_PID=$(node_pid_under "$RUN_PID" || true)
  fi
  stop_pid "$NODE_PID"
  stop_pid "$RUN_PID"
  [[ -n $CTR ]] && buildah rm "$CTR" >/dev/null 2>&1 || true
  if [[ ${KEEP_WORK:-0} == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  timings
  if [[ $rc -eq 0 && $FAILED -eq 0 ]]; then log "PASS"; else log "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# ---- helpers --------------------------------------------------------------------------------

free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

# http_get URL [max-seconds]: prints the body of a 2xx answer; non-zero otherwise.
http_get() {
  node -e "
    const ac = new AbortController(); setTimeout(() => ac.abort(), ${2:-5} * 1000).unref();
    fetch(process.argv[1], { signal: ac.signal }).then(async (r) => {
      const body = await r.text(); process.stdout.write(body);
      if (!r.ok) { process.stderr.write('HTTP ' + r.status + '\n'); process.exit(2); }
    }, (e) => { process.stderr.write(String(e.cause?.code ?? e.message) + '\n'); process.exit(1); });
  " "$1"
}

# json_get FILE-or-STDIN EXPR: evaluates a JS expression over the parsed JSON `j`.
json_eval() {
  node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const j=JSON.parse(s);const v=($1);process.stdout.write(typeof v==='string'?v:JSON.stringify(v))})"
}

# The host pid of the container's main process (the image's CMD): a descendant of `buildah run`
# whose argv is CMD, argv[0] possibly resolved to a path (the chroot wrapper in between carries
# the same arguments after its own name, so it does not match).
node_pid_under() {
  local root=$1 st pid k v p
  local -a args
  local -A parent=()
  ((${#CMD[@]} > 0)) || return 1
  for st in /proc/[0-9]*/status; do
    pid=${st#/proc/}; pid=${pid%/status}
    while read -r k v; do
      if [[ $k == PPid: ]]; then parent[$pid]=$v; break; fi
    done 2>/dev/null <"$st" || true
  done
  for pid in "${!parent[@]}"; do
    mapfile -d '' -t args 2>/dev/null <"/proc/$pid/cmdline" || continue
    ((${#args[@]} == ${#CMD[@]})) || continue
    [[ ${args[0]} == "${CMD[0]}" || ${args[0]} == */"${CMD[0]}" ]] || continue
    [[ "${args[*]:1}" == "${CMD[*]:1}" ]] || continue
    p=$pid
    while [[ -n ${parent[$p]:-} && $p != 1 ]]; do
      p=${parent[$p]}
      if [[ $p == "$root" ]]; then echo "$pid"; return 0; fi
    done
  done
  return 1
}

# Waits until `buildah run` ($1) exits, at most $2 seconds; sets EXIT_CODE (empty: still running).
# (Runs in this shell, not in $(…): only the parent shell can `wait` for its child.)
EXIT_CODE=""
wait_exit() {
  local pid=$1 limit=$2 t
  EXIT_CODE=""
  t=$(date +%s.%N)
  while kill -0 "$pid" 2>/dev/null; do
    if awk -v a="$t" -v b="$(date +%s.%N)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then return 1; fi
    sleep 0.05
  done
  EXIT_CODE=0
  wait "$pid" || EXIT_CODE=$?
}

# Starts the image's CMD in the container with the test's environment; sets RUN_PID and NODE_PID.
start_engine() {
  local out=$1 err=$2
  buildah run --isolation chroot --network host \
    -e "TICKVERSE_PORT=$PORT" -e "TICKVERSE_TOKEN=$TOKEN" -e TICKVERSE_SHARDS=2 -e TICKVERSE_LOG_LEVEL=info \
    "$CTR" -- "${CMD[@]}" >"$WORK/$out" 2>"$WORK/$err" &
  RUN_PID=$!
  local deadline=$((SECONDS + 60)) listening=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$RUN_PID" 2>/dev/null; then
      wait_exit "$RUN_PID" 1 || true
      RUN_PID=""
      fail "the container exited during start-up (exit code $EXIT_CODE)"
    fi
    listening=$(node -e "
      const lines = require('node:fs').readFileSync(process.argv[1], 'utf8').split('\n');
      for (const l of lines) { try { const j = JSON.parse(l); if (j.msg === 'gateway listening' && j.port !== undefined) { process.stdout.write(String(j.port)); break; } } catch {} }
    " "$WORK/$out")
    if [[ -n $listening && $listening != "$PORT" ]]; then
      fail "the gateway listens on port $listening, not on TICKVERSE_PORT=$PORT"
    fi
    [[ -n $NODE_PID ]] || NODE_PID=$(node_pid_under "$RUN_PID" || true)
    if http_get "http://127.0.0.1:$PORT/api/health" 2 >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  ((SECONDS < deadline)) || fail "no answer on http://127.0.0.1:$PORT/api/health within 60 s of start"
  [[ -n $NODE_PID ]] || NODE_PID=$(node_pid_under "$RUN_PID") || fail "cannot find the node process under buildah run (pid $RUN_PID)"
}

# A Python client: Debian's python3 with python3-websockets and python3-msgpack (no JS involved).
PYTHON=""
find_python() {
  local p
  for p in /usr/bin/python3 python3; do
    if "$p" -c 'import websockets, msgpack' 2>/dev/null; then PYTHON=$p; return 0; fi
  done
  return 1
}

write_ws_client() {
  cat >"$WORK/ws_client.py" <<'PY'
"""Tickverse wire check with standard MessagePack: plain maps over a binary WebSocket."""
import asyncio, sys, time
import msgpack, websockets

URL, TOKEN, REALM, MODE, OUT = sys.argv[1:6]

def pack(m): return msgpack.packb(m, use_bin_type=True)
def unpack(b): return msgpack.unpackb(b, raw=False)

async def request(ws, msg, pushes):
    await ws.send(pack(msg))
    while True:
        m = unpack(await ws.recv())
        if m.get("op") == "reply" and m.get("id") == msg["id"]:
            if not m.get("ok"):
                raise SystemExit(f"{msg['op']} failed: {m.get('error')}")
            return m.get("result")
        pushes.append(m)

async def main():
    async with websockets.connect(URL, max_size=1 << 22, open_timeout=10, ping_interval=None) as ws:
        hello = unpack(await ws.recv())
        if hello.get("op") != "hello" or hello.get("server") != "tickverse":
            raise SystemExit(f"expected a hello push, got {hello!r}")
        pushes = []
        await request(ws, {"op": "auth", "id": 1, "token": TOKEN}, pushes)
        if MODE == "check":
            info = await request(ws, {"op": "register", "id": 2, "realm": {
                "realm_id": REALM, "game_id": "container-test", "developer_name": "container-test.sh",
                "description": "registered by the container test", "realm_type": "arena",
                "adjacency": "cluster_main", "resonance": 0.5, "density": 0.5}}, pushes)
            if info.get("realmId") != REALM:
                raise SystemExit(f"register answered {info!r}")
            await request(ws, {"op": "join", "id": 3, "realm": REALM}, pushes)
            deadline = time.monotonic() + 20
            frame = next((p for p in pushes if p.get("op") == "state" and p.get("realm") == REALM), None)
            while frame is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"no state frame for {REALM} within 20 s")
                m = unpack(await asyncio.wait_for(ws.recv(), left))
                if m.get("op") == "state" and m.get("realm") == REALM:
                    frame = m
            with open(OUT, "w") as f:
                f.write(f"registered {REALM} on shard {info.get('shard')} ({info.get('stat7Canonical')}); "
                        f"state frame seq={frame.get('seq')} tick={frame.get('tick')} key={frame.get('key')} "
                        f"entities={len(frame.get('ents') or [])}\n")
        else:  # hold: stay joined until the server closes the connection; report the close code
            await request(ws, {"op": "join", "id": 2, "realm": REALM}, pushes)
            with open(OUT + ".ready", "w") as f:
                f.write("ready\n")
            try:
                while True:
                    await ws.recv()
            except websockets.ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd is not None else 1006
                reason = e.rcvd.reason if e.rcvd is not None else ""
                with open(OUT, "w") as f:
                    f.write(f"{code} {reason}\n")

asyncio.run(main())
PY
}

need_apt() {
  local pkgs=("$@")
  command -v apt-get >/dev/null 2>&1 || fail "missing ${pkgs[*]} and no apt-get to install them"
  log "installing ${pkgs[*]} (apt-get)…"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null || fail "apt-get install ${pkgs[*]} failed"
}

# ---- 0. tools -------------------------------------------------------------------------------
phase tools
[[ $(id -u) == 0 ]] || fail "run as root (buildah needs it here)"
command -v node >/dev/null || fail "node is needed on the host"
[[ -f $SHARED/tools/container-base.sh ]] || fail "no $SHARED/tools/container-base.sh (the repo must sit beside ../shared; or set TICKVERSE_SHARED_DIR)"
missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
find_python || missing+=(python3 python3-websockets python3-msgpack)
((${#missing[@]} == 0)) || need_apt "${missing[@]}"
find_python || fail "no python3 with the websockets and msgpack modules (apt-get install python3-websockets python3-msgpack)"
command -v prometheus >/dev/null || fail "no prometheus binary (apt-get install prometheus)"
log "python: $PYTHON; $(prometheus --version 2>&1 | head -n1)"

# ---- 1. base image --------------------------------------------------------------------------
phase base
bash "$SHARED/tools/container-base.sh" || fail "container-base.sh failed"

# ---- 2. build -------------------------------------------------------------------------------
phase build
# --format docker keeps HEALTHCHECK (the OCI format has no field for it); --layers caches steps;
# --force-rm removes the build containers even when a step fails.
if ! buildah bud --isolation chroot --pull=never --network host --format docker --layers --force-rm \
  -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log"
  fail "buildah bud failed (log above)"
fi
buildah inspect --type image "$IMAGE" >"$WORK/image.json" || fail "cannot inspect $IMAGE"
config_check=$(json_eval '(() => {
  const c = j.Docker.config, bad = [];
  if (c.User !== "node") bad.push("USER is " + JSON.stringify(c.User) + ", not node");
  if (!c.ExposedPorts || !("8000/tcp" in c.ExposedPorts)) bad.push("port 8000 is not exposed");
  if (!c.Healthcheck || !JSON.stringify(c.Healthcheck.Test).includes("/api/health")) bad.push("no HEALTHCHECK on /api/health");
  if (!c.Volumes || !("/data" in c.Volumes)) bad.push("/data is not a volume");
  if (!Array.isArray(c.Cmd) || c.Cmd[0] !== "node") bad.push("CMD is not exec-form node: " + JSON.stringify(c.Cmd));
  if (!(c.Env || []).includes("TICKVERSE_DATA_DIR=/data")) bad.push("TICKVERSE_DATA_DIR is not /data");
  return bad.join("; ");
})()' <"$WORK/image.json")
[[ -z $config_check ]] || fail "image configuration: $config_check"
mapfile -t CMD < <(json_eval 'j.Docker.config.Cmd.join("\n")' <"$WORK/image.json")
mapfile -t HEALTH < <(json_eval 'j.Docker.config.Healthcheck.Test.slice(1).join("\n")' <"$WORK/image.json")
log "image $IMAGE: $(json_eval '(j.Docker.config.Env||[]).filter(e=>e.startsWith("TICKVERSE_")).join(" ")' <"$WORK/image.json"); CMD ${CMD[*]}; size $(buildah images --format '{{.Size}}' "$IMAGE" | head -n1)"

# ---- 3. start -------------------------------------------------------------------------------
phase start
PORT=$(free_port)
TOKEN=$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('base64url'))")
CTR=$(buildah from --pull-never --name "tickverse-ct-$$" "$IMAGE") || fail "buildah from $IMAGE failed"
start_engine engine.out engine.err
log "listening on 127.0.0.1:$PORT (buildah run pid $RUN_PID, node pid $NODE_PID)"

# ---- 4. http --------------------------------------------------------------------------------
phase http
health=$(http_get "http://127.0.0.1:$PORT/api/health") || fail "GET /api/health did not answer 2xx"
[[ $(json_eval 'j.status' <<<"$health") == ok ]] || fail "/api/health status is not ok: $health"
log "/api/health: $health"
metrics=$(http_get "http://127.0.0.1:$PORT/metrics") || fail "GET /metrics did not answer 2xx"
grep -q '^# TYPE tickverse_control_tick_duration_seconds histogram' <<<"$metrics" ||
  fail "/metrics has no tickverse_control_tick_duration_seconds histogram"
log "/metrics: $(grep -c '^# TYPE ' <<<"$metrics") metric families"
# The admin pages: index.html and every script and stylesheet it loads (bundled in the image).
index=$(http_get "http://127.0.0.1:$PORT/") || fail "GET / (admin pages) did not answer 2xx"
grep -qi '<html' <<<"$index" || fail "GET / is not an HTML page"
assets=$(grep -oE '(src|href)="[^"]+\.(js|css)"' <<<"$index" | sed -E 's/^(src|href)="//; s/"$//' || true)
for a in $assets; do
  http_get "http://127.0.0.1:$PORT/${a#/}" >/dev/null || fail "the admin page asset /${a#/} is not served"
done
log "admin pages: / and $(wc -w <<<"$assets") assets ($(tr '\n' ' ' <<<"$assets"))"
buildah run --isolation chroot --network host -e "TICKVERSE_PORT=$PORT" "$CTR" -- "${HEALTH[@]}" ||
  fail "the image's HEALTHCHECK command failed inside the container"
log "the image's HEALTHCHECK passes inside the container"

# ---- 5. websocket ---------------------------------------------------------------------------
phase websocket
write_ws_client
GAME=ct-game-$$
timeout 40 "$PYTHON" "$WORK/ws_client.py" "ws://127.0.0.1:$PORT/ws" "$TOKEN" "$GAME" check "$WORK/ws-check.txt" ||
  fail "the WebSocket client could not register $GAME and receive its state"
log "websocket: $(cat "$WORK/ws-check.txt")"

# ---- 6. user --------------------------------------------------------------------------------
phase user
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$NODE_PID/status") || fail "cannot read /proc/$NODE_PID/status"
for u in $uids; do [[ $u != 0 ]] || fail "node (pid $NODE_PID) runs as root (Uid: $uids)"; done
[[ ${uids%% *} == 1000 ]] || fail "node runs as uid ${uids%% *}, expected 1000 (node)"
inside=$(buildah run --isolation chroot --network host "$CTR" -- id -un)
[[ $inside == node ]] || fail "commands in the container run as $inside, not node"
log "node pid $NODE_PID runs as uid $uids (real effective saved fs); the container user is $inside"

# ---- 7. prometheus --------------------------------------------------------------------------
phase prometheus
promtool check config "$ROOT/deploy/prometheus/prometheus.yml" >"$WORK/promtool.log" 2>&1 ||
  { cat "$WORK/promtool.log"; fail "promtool check config deploy/prometheus/prometheus.yml failed"; }
if [[ -f $ROOT/deploy/prometheus/rules.test.yml ]]; then
  (cd "$ROOT/deploy/prometheus" && promtool test rules rules.test.yml) >"$WORK/promtool-rules.log" 2>&1 ||
    { cat "$WORK/promtool-rules.log"; fail "promtool test rules deploy/prometheus/rules.test.yml failed"; }
fi
PROM_PORT=$(free_port)
mkdir -p "$WORK/prom"
cp "$ROOT"/deploy/prometheus/*.yml "$WORK/prom/"
grep -q '"engine:8000"' "$WORK/prom/prometheus.yml" || fail "deploy/prometheus/prometheus.yml does not target \"engine:8000\""
sed -i -e "s/\"engine:8000\"/\"127.0.0.1:$PORT\"/" -e "s/\"localhost:9090\"/\"127.0.0.1:$PROM_PORT\"/" "$WORK/prom/prometheus.yml"
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
q() { http_get "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1")" 3 2>/dev/null; }
# Bounded poll: each query must return at least one series satisfying the check.
prom_until() {
  local what=$1 query=$2 check=$3 deadline=$((SECONDS + 60)) r=""
  while ((SECONDS < deadline)); do
    kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited"
    if r=$(q "$query") && [[ $(json_eval "j.status === 'success' && j.data.result.some((s) => $check)" <<<"$r") == true ]]; then
      log "prometheus: $what ($(json_eval 'j.data.result.length' <<<"$r") series)"
      return 0
    fi
    sleep 1
  done
  fail "prometheus: no $what within 60 s (last answer: ${r:-none})"
}
prom_until 'up == 1 for the engine' 'up{job="tickverse"}' 's.value[1] === "1"'
prom_until 'tickverse_control_tick_duration_seconds_bucket series' 'tickverse_control_tick_duration_seconds_bucket{job="tickverse"}' 'true'
prom_until 'control ticks counted' 'tickverse_control_tick_duration_seconds_count{job="tickverse"} > 0' 'true'
prom_until 'recording rule tickverse:realms:total' 'tickverse:realms:total' 'Number(s.value[1]) >= 1'
stop_pid "$PROM_PID"; PROM_PID=""

# ---- 8. sigterm -----------------------------------------------------------------------------
phase sigterm
timeout 30 "$PYTHON" "$WORK/ws_client.py" "ws://127.0.0.1:$PORT/ws" "$TOKEN" "$GAME" hold "$WORK/ws-close.txt" >"$WORK/ws-hold.log" 2>&1 &
HOLD_PID=$!
for _ in $(seq 100); do [[ -f $WORK/ws-close.txt.ready ]] && break; kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
[[ -f $WORK/ws-close.txt.ready ]] || fail "the holding WebSocket client did not join $GAME"
t_term=$(date +%s.%N)
kill -TERM "$NODE_PID"
wait_exit "$RUN_PID" 10 || fail "still running 10 s after SIGTERM (Docker would SIGKILL it now)"
stop_secs=$(elapsed "$t_term")
RUN_PID=""; NODE_PID=""
[[ $EXIT_CODE == 0 ]] || fail "exit code $EXIT_CODE after SIGTERM, expected 0"
for _ in $(seq 50); do [[ -s $WORK/ws-close.txt ]] && break; sleep 0.1; done
wait "$HOLD_PID" 2>/dev/null || true
HOLD_PID=""
close=$(cat "$WORK/ws-close.txt" 2>/dev/null || true)
[[ ${close%% *} == 1001 || ${close%% *} == 1012 ]] || fail "a connected client was closed with \"${close:-nothing}\", expected 1001 (going away)"
# The shutdown snapshot: written after the SIGTERM (periodic ones are older).
snaps=$(buildah run --isolation chroot --network host "$CTR" -- \
  find /data/snapshots -name '*.tvsnap' -newermt "@$t_term" -printf '%TT %s bytes %p\n' 2>/dev/null || true)
[[ -n $snaps ]] || fail "no /data/snapshots/*.tvsnap written after SIGTERM; /data holds: $(buildah run --isolation chroot "$CTR" -- find /data -printf '%p ' 2>&1 | head -c 2000)"
log "exit 0 ${stop_secs}s after SIGTERM; client closed with $close; snapshot written after SIGTERM:"
sed 's/^/    /' <<<"$snaps"

# ---- 9. restart -----------------------------------------------------------------------------
phase restart
start_engine engine2.out engine2.err
realms=$(http_get "http://127.0.0.1:$PORT/api/realms") || fail "GET /api/realms failed after the restart"
found=$(json_eval "JSON.stringify(j).includes('\"$GAME\"')" <<<"$realms")
[[ $found == true ]] || fail "after a restart from /data, $GAME is not registered: $realms"
log "restarted from /data: $GAME is registered again"
kill -TERM "$NODE_PID"
wait_exit "$RUN_PID" 10 || fail "still running 10 s after the second SIGTERM"
RUN_PID=""; NODE_PID=""
[[ $EXIT_CODE == 0 ]] || fail "exit code $EXIT_CODE after the second SIGTERM, expected 0"

phase_end
