#!/usr/bin/env bash
# Opt-in test of `synco pull kubectl://…` against a real, throwaway Kubernetes control
# plane on loopback (not run by scripts/test.sh: the first build takes several GB of
# caches and many minutes):
#   - etcd (go.etcd.io/etcd/server/v3 etcdmain) and kube-apiserver (k8s.io/kubernetes
#     cmd/kube-apiserver) built from the Go module proxy in throwaway modules, with
#     every k8s.io staging module replaced by its matching v0.x release;
#   - kwok as the only "node": pods it schedules become Running without a container
#     runtime, and its ClusterExec runs `kubectl exec` commands on this machine in a
#     work directory, so the pod's "filesystem" is this machine's and MariaDB at
#     127.0.0.1:3306 is reachable from it;
#   - certificates, a service-account key and a kubeconfig made here with openssl;
#     --authorization-mode=AlwaysAllow (a loopback cluster that lives for one run).
# Then it runs the kubectl pull test (e2e/pull_kube_test.go) with SYNCO_TEST_KUBECONFIG
# and SYNCO_TEST_KUBE_NAMESPACE/_POD set, and stops everything by PID.
#
#   scripts/test-kube.sh                 # build once (cached), start, test, stop
#   scripts/test-kube.sh go test -count=1 -v -run PullKube ./e2e   # another command instead
#
# SYNCO_KUBE_DIR (default /var/tmp/synco-kube) keeps the Go caches and the built
# binaries between runs; remove it to reclaim the space. Builds run with nice -n 19.

set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-1.36.3}       # k8s.io/kubernetes; staging modules: v0.${KUBE_VERSION#1.}
ETCD_VERSION=${ETCD_VERSION:-3.6.8}        # the etcd k8s.io/kubernetes v$KUBE_VERSION is tested with
KWOK_VERSION=${KWOK_VERSION:-0.8.0}

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SYNCO_KUBE_DIR:-/var/tmp/synco-kube}
bindir=$cache/bin
mkdir -p "$bindir"
# The Go toolchain for the cluster's binaries: its own caches, low priority.
kgo() {
  GOMODCACHE=$cache/gomod GOCACHE=$cache/gocache GOFLAGS=-modcacherw GOTOOLCHAIN=local GOBIN=$bindir \
    nice -n 19 go "$@"
}

log() { echo "test-kube: $*" >&2; }

# ---- build (once per version) ----

build_apiserver() {
  local out=$bindir/kube-apiserver-$KUBE_VERSION src=$cache/src/kube-apiserver-$KUBE_VERSION
  [ -x "$out" ] && return 0
  log "building kube-apiserver v$KUBE_VERSION (first run: long)"
  rm -rf "$src" && mkdir -p "$src" && cd "$src"
  kgo mod init synco-test-kube-apiserver >/dev/null 2>&1
  kgo mod edit -require "k8s.io/kubernetes@v$KUBE_VERSION"
  local modfile
  modfile=$(kgo mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  # k8s.io/kubernetes replaces its staging modules by ./staging/src/…, which a
  # dependent module cannot see: use their releases of the same minor instead.
  local m
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$modfile"); do
    kgo mod edit -replace "$m=$m@v0.${KUBE_VERSION#1.}"
  done
  kgo get "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION"
  local v=k8s.io/component-base/version minor=${KUBE_VERSION#1.}
  kgo build -trimpath -o "$out.tmp" -ldflags "-s -X $v.gitVersion=v$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=${minor%%.*}" \
    k8s.io/kubernetes/cmd/kube-apiserver
  mv "$out.tmp" "$out"
}

build_etcd() {
  local out=$bindir/etcd-$ETCD_VERSION src=$cache/src/etcd-$ETCD_VERSION
  [ -x "$out" ] && return 0
  log "building etcd v$ETCD_VERSION"
  rm -rf "$src" && mkdir -p "$src" && cd "$src"
  kgo mod init synco-test-etcd >/dev/null 2>&1
  cat >main.go <<'GO'
// Command etcd is etcd's own main, built here from the module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  kgo get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  kgo mod tidy
  kgo build -trimpath -ldflags=-s -o "$out.tmp" .
  mv "$out.tmp" "$out"
}

build_kwok() {
  local out=$bindir/kwok-$KWOK_VERSION
  [ -x "$out" ] && return 0
  log "building kwok v$KWOK_VERSION"
  (cd "$cache" && kgo install -trimpath -ldflags=-s "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION")
  mv "$bindir/kwok" "$out"
}

build_start=$(date +%s)
build_etcd
build_kwok
build_apiserver
log "binaries ready in $(($(date +%s) - build_start)) s (cached in $bindir)"
[ "${1:-}" = "--build-only" ] && exit 0

# ---- the cluster, in a temporary directory, on loopback ----

run=$(mktemp -d /tmp/synco-kube.XXXXXX)
pids=()
stop() {
  local pid i
  # What kwok's exec started and left running (an agent whose stdin kwok never
  # closes), by its parent's PID; then, last started first: kwok, kube-apiserver
  # (while etcd still answers), etcd.
  if [ -n "${kwok_pid:-}" ]; then
    for pid in $(ps -o pid= --ppid "$kwok_pid" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ -n "${SYNCO_KUBE_KEEP:-}" ]; then log "kept $run"; else rm -rf "$run"; fi
}
trap stop EXIT
fail() { log "$1"; shift; local f; for f in "$@"; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# One CA; one EC key and certificate for the API server, the kwok "kubelet" and the
# admin client (O=system:masters), as kwokctl does; a separate service-account key.
pki=$run/pki
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
    -days 2 -subj /CN=synco-test-kube-ca 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout admin.key -out admin.csr \
    -subj "/O=system:masters/CN=synco-test-admin" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 2 -extfile admin.ext 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key 2>/dev/null
  openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
)

etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kwok_port=$(free_port)

"$bindir/etcd-$ETCD_VERSION" --name synco-test --data-dir "$run/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "synco-test=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn \
  >"$run/etcd.log" 2>&1 &
pids+=($!)

# AlwaysAllow and no ServiceAccount admission: a throwaway cluster on loopback with
# one client. The kubelet (kwok) is reached at its InternalIP, 127.0.0.1.
"$bindir/kube-apiserver-$KUBE_VERSION" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --cert-dir "$run/apiserver" --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key" \
  --client-ca-file "$pki/ca.crt" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc \
  --authorization-mode AlwaysAllow --disable-admission-plugins ServiceAccount \
  --endpoint-reconciler-type none --enable-priority-and-fairness=false \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --kubelet-preferred-address-types InternalIP \
  >"$run/kube-apiserver.log" 2>&1 &
pids+=($!)

kubeconfig=$run/kubeconfig
kubectl() { command kubectl --kubeconfig "$kubeconfig" "$@"; }
kubectl config set-cluster synco-test --server "https://127.0.0.1:$api_port" \
  --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
kubectl config set-credentials synco-test-admin --client-certificate "$pki/admin.crt" \
  --client-key "$pki/admin.key" --embed-certs >/dev/null
kubectl config set-context synco-test --cluster synco-test --user synco-test-admin >/dev/null
kubectl config use-context synco-test >/dev/null

up=
for _ in $(seq 1 300); do
  if kubectl get --raw /readyz >/dev/null 2>&1; then up=1; break; fi
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 1
done
[ -n "$up" ] || fail "kube-apiserver did not become ready" "$run/etcd.log" "$run/kube-apiserver.log"
log "kube-apiserver on 127.0.0.1:$api_port (etcd on $etcd_port)"

# kwok: the node's stages from its own module (node-initialize, pod ready/complete/
# delete) and a ClusterExec that runs every exec on this machine in $run/work.
mkdir -p "$run/work"
stages=$cache/gomod/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage
{
  # No KwokConfiguration document: kwok then uses its defaults.
  for f in "$stages"/node/fast/node-initialize.yaml "$stages"/pod/fast/pod-*.yaml; do
    echo ---
    cat "$f"
  done
  cat <<YAML
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: synco-test
spec:
  execs:
  - local:
      workDir: $run/work
YAML
} >"$run/kwok.yaml"
"$bindir/kwok-$KWOK_VERSION" --kubeconfig "$kubeconfig" --config "$run/kwok.yaml" \
  --manage-all-nodes --node-ip 127.0.0.1 --node-name synco-test-node --node-port "$kwok_port" \
  --server-address "127.0.0.1:$kwok_port" --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key" \
  >"$run/kwok.log" 2>&1 &
pids+=($!)
kwok_pid=$!

ns=synco-test-$RANDOM
pod=web-$RANDOM
kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: synco-test-node
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
---
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
---
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  namespace: $ns
spec:
  nodeName: synco-test-node   # no scheduler runs: bound to kwok's node directly
  automountServiceAccountToken: false
  containers:
  - name: php
    image: synco-test/none    # never pulled: kwok runs no containers
YAML
phase=
for _ in $(seq 1 120); do
  kill -0 "$kwok_pid" 2>/dev/null || fail "kwok stopped" "$run/kwok.log"
  phase=$(kubectl get pod -n "$ns" "$pod" -o 'jsonpath={.status.phase}' 2>/dev/null || true)
  [ "$phase" = Running ] && break
  sleep 1
done
[ "$phase" = Running ] || fail "the pod is not Running (phase: ${phase:-none})" "$run/kwok.log"
out=$(kubectl exec -i -n "$ns" "$pod" -- sh -c 'pwd' </dev/null 2>&1) ||
  fail "kubectl exec does not work: $out" "$run/kwok.log" "$run/kube-apiserver.log"
log "pod $ns/$pod Running on kwok's node; kubectl exec runs in $out"

export SYNCO_TEST_KUBECONFIG=$kubeconfig SYNCO_TEST_KUBE_NAMESPACE=$ns SYNCO_TEST_KUBE_POD=$pod
cd "$repo"
if [ $# -gt 0 ]; then
  "$@"
else
  nice -n 19 go test -count=1 -v -run 'TestPullKube' ./e2e/
fi
