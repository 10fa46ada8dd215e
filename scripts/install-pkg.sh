# install_pkg COMMAND PACKAGE: installs Debian's PACKAGE with apt-get unless
# COMMAND is on the PATH or in /usr/sbin (updating the package lists once if
# the first try fails). Returns non-zero when it cannot. Sourced by
# scripts/pull-services.sh and scripts/bench-sync.sh.
install_pkg() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -x "/usr/sbin/$1" ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 1
  echo "installing $2 (for $1)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >&2; }
}
