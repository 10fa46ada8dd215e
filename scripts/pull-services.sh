#!/usr/bin/env bash
# Services for the synco pull tests (e2e/pull_test.go), on loopback and in a
# temporary directory, without changing the system's configuration:
#   - sshd (Debian's openssh-server) on 127.0.0.1 and a free port, with throwaway host
#     and client keys; exports SYNCO_TEST_SSH ("ssh -F <config>") and
#     SYNCO_TEST_SSH_HOST (the host alias in that config);
#   - dockerd (Debian's docker.io) on its own socket, data and exec root, without
#     iptables or a bridge, and an image imported from a busybox-static root file
#     system; exports SYNCO_TEST_DOCKER_HOST and SYNCO_TEST_DOCKER_IMAGE.
# Missing packages are installed with apt-get. A service that cannot run here (no
# privileges, no cgroups) is left out and its tests skip, saying why; the reason is in
# SYNCO_TEST_SSH_SKIP / SYNCO_TEST_DOCKER_SKIP.
#
#   . scripts/pull-services.sh        # from scripts/test.sh: starts them, stops them on exit
#   scripts/pull-services.sh go test -count=1 -run Pull ./e2e   # around one command
#
# Both are stopped by their PIDs; nothing else is touched.

pull_services_dir=$(mktemp -d /tmp/synco-pull-services.XXXXXX)
pull_services_pids=()

pull_services_stop() {
  local pid
  for pid in "${pull_services_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pull_services_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # dockerd's containerd and the containers' shims live in the exec root.
  if [ -f "$pull_services_dir/containerd.pid" ]; then
    kill "$(cat "$pull_services_dir/containerd.pid")" 2>/dev/null || true
  fi
  umount -R "$pull_services_dir/docker" 2>/dev/null || true
  # Mounts below it that are not under a mount point of its own (dockerd's
  # nsfs mount of docker/exec/netns/default), deepest first.
  local m
  for m in $(awk -v d="$pull_services_dir/" 'index($2, d) == 1 {print $2}' /proc/mounts 2>/dev/null | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$pull_services_dir" 2>/dev/null || true
}

. "$(dirname "${BASH_SOURCE[0]}")/install-pkg.sh"

pull_services_free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

pull_services_sshd() {
  local d=$pull_services_dir/ssh port
  if ! install_pkg sshd openssh-server || ! command -v ssh >/dev/null; then
    export SYNCO_TEST_SSH_SKIP="openssh-server could not be installed"
    return 0
  fi
  mkdir -p "$d" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$d/client_ed25519"
  cp "$d/client_ed25519.pub" "$d/authorized_keys"
  port=$(pull_services_free_port)
  cat >"$d/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
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
  cat >"$d/ssh_config" <<EOF
Host synco-test
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $d/client_ed25519
  IdentitiesOnly yes
  HostKeyAlias synco-test
  UserKnownHostsFile $d/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
  echo "synco-test $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$d/known_hosts"
  "$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
  pull_services_pids+=($!)
  for _ in $(seq 1 50); do
    if ssh -F "$d/ssh_config" synco-test true 2>/dev/null; then
      export SYNCO_TEST_SSH="ssh -F $d/ssh_config" SYNCO_TEST_SSH_HOST=synco-test
      echo "pull-services: sshd on 127.0.0.1:$port" >&2
      return 0
    fi
    sleep 0.2
  done
  export SYNCO_TEST_SSH_SKIP="sshd did not come up: $(tail -3 "$d/sshd.log" | tr '\n' ' ')"
  echo "pull-services: $SYNCO_TEST_SSH_SKIP" >&2
}

pull_services_dockerd() {
  local d=$pull_services_dir/docker
  if ! install_pkg dockerd docker.io || ! install_pkg busybox busybox-static; then
    export SYNCO_TEST_DOCKER_SKIP="docker.io or busybox-static could not be installed"
    return 0
  fi
  mkdir -p "$d/data" "$d/exec" "$d/rootfs/bin" "$d/rootfs/tmp"
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    -H "unix://$d/docker.sock" --data-root "$d/data" --exec-root "$d/exec" \
    --pidfile "$d/docker.pid" >"$d/dockerd.log" 2>&1 &
  pull_services_pids+=($!)
  local ok=
  for _ in $(seq 1 100); do
    if DOCKER_HOST="unix://$d/docker.sock" docker version >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  if [ -z "$ok" ]; then
    export SYNCO_TEST_DOCKER_SKIP="dockerd did not come up here: $(tail -2 "$d/dockerd.log" | tr '\n' ' ')"
    echo "pull-services: $SYNCO_TEST_DOCKER_SKIP" >&2
    return 0
  fi
  local bb
  bb=$(command -v busybox || echo /bin/busybox)
  cp "$bb" "$d/rootfs/bin/busybox"
  for c in sh uname head mkdir chmod mv rm sha256sum echo sleep cat cut ls true; do ln -s busybox "$d/rootfs/bin/$c"; done
  if ! tar -C "$d/rootfs" -c . | DOCKER_HOST="unix://$d/docker.sock" docker import - synco-test-busybox:1 >/dev/null 2>"$d/import.log" ||
    ! DOCKER_HOST="unix://$d/docker.sock" docker run --rm --network none synco-test-busybox:1 /bin/true >/dev/null 2>"$d/run.log"; then
    export SYNCO_TEST_DOCKER_SKIP="dockerd runs but cannot start a container here: $(tail -2 "$d/run.log" "$d/import.log" 2>/dev/null | tr '\n' ' ')"
    echo "pull-services: $SYNCO_TEST_DOCKER_SKIP" >&2
    return 0
  fi
  export SYNCO_TEST_DOCKER_HOST="unix://$d/docker.sock" SYNCO_TEST_DOCKER_IMAGE=synco-test-busybox:1
  echo "pull-services: dockerd on $d/docker.sock" >&2
}

pull_services_sshd
pull_services_dockerd

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Run as a program: around the command given.
  trap pull_services_stop EXIT
  "$@"
else
  trap pull_services_stop EXIT
fi
