#!/bin/sh
# salescontrol-@NODE@: the command an operator types and the one the systemd unit starts, so both
# act on the same settings and database. Written by scripts/deploy/install.sh, which fills in:
node='@NODE@'
root='@ROOT@'
service_user='@USER@'
# It runs the node binary as the service user (never as root, so no file is left that the service
# cannot open), with the defaults below overridden by /etc/salescontrol/<node>.env; `serve` runs
# under `litestream replicate` when Litestream is installed and LITESTREAM_REPLICA_URL is set.
set -eu

binary="$root/usr/local/lib/salescontrol/salescontrol-$node"
if [ "$(id -u)" = 0 ] && [ "$service_user" != root ]; then
  exec setpriv --reuid="$service_user" --regid="$(id -g "$service_user")" --init-groups -- "$0" "$@"
fi

# Reads KEY=value lines as systemd's EnvironmentFile does: comments, optional quotes, no shell.
# The file is read as the service user: one it cannot read stops the command, never ignored.
load_env_file() {
  [ -e "$1" ] || return 0
  if [ ! -r "$1" ]; then
    echo "salescontrol-$node: $1 cannot be read by $(id -un), so none of its settings would apply; fix: chgrp $(id -gn) $1 && chmod 0640 $1" >&2
    exit 2
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%"$(printf '\r')"}
    line=${line#"${line%%[! 	]*}"}
    case $line in '' | '#'* | ';'*) continue ;; esac
    line=${line#export }
    case $line in *=*) ;; *) continue ;; esac
    key=${line%%=*}
    key=${key%"${key##*[! 	]}"}
    value=${line#*=}
    value=${value#"${value%%[! 	]*}"}
    value=${value%"${value##*[! 	]}"}
    case $key in '' | [0-9]* | *[!A-Za-z0-9_]*) continue ;; esac
    case $value in
      \"*\")
        value=${value#\"}
        value=${value%\"}
        ;;
      \'*\')
        value=${value#\'}
        value=${value%\'}
        ;;
    esac
    export "$key=$value"
  done <"$1"
}

state="$root/var/lib/salescontrol/$node"
export NODE="$node" DATA_DIR="$state" TMPDIR="$state/tmp" DEVICE_ID="$(uname -n)"
case $node in
  core) export LITESTREAM_METRICS_PORT=9090 ;;
  edge) export LITESTREAM_METRICS_PORT=9091 ;;
  pi) export LITESTREAM_METRICS_PORT=9092 RA_DATA_DIR="$state" RA_SPOOL_DIR="$state/spool" ;;
esac
load_env_file "$root/etc/salescontrol/$node.env"
# Litestream replicates ${DATA_DIR}/${NODE}.db: for the recorder that is its RA_DATA_DIR.
if [ "$node" = pi ]; then export DATA_DIR="$RA_DATA_DIR"; fi

litestream=''
if [ -n "${LITESTREAM_REPLICA_URL:-}" ]; then litestream=$(command -v litestream || true); fi
replicated=false
if [ -n "$litestream" ]; then replicated=true; fi
# Every command, not only serve, tells the node whether Litestream is the one checkpointer.
if [ "$node" = pi ]; then export RA_LITESTREAM="$replicated"; else export LITESTREAM="$replicated"; fi

command=serve
config_given=false
skip_next=false
for argument in "$@"; do
  if [ "$skip_next" = true ]; then
    skip_next=false
    continue
  fi
  case $argument in
    -c | --config) config_given=true skip_next=true ;;
    --config=*) config_given=true ;;
    --log-level) skip_next=true ;;
    -h | --help | -V | --version) command='' ;;
    -*) ;;
    *)
      [ -n "$command" ] && command=$argument
      break
      ;;
  esac
done
if [ "$node" = pi ] && [ "$config_given" = false ] && [ -f "$root/etc/recorder-agent/config.yaml" ]; then
  set -- --config "$root/etc/recorder-agent/config.yaml" "$@"
fi

if [ "$command" = serve ] && [ "$replicated" = true ]; then
  litestream_config="$root/etc/salescontrol/litestream.yml"
  # A new machine starts from the latest replica, if there is one; an existing database is kept.
  "$litestream" restore -config "$litestream_config" -if-db-not-exists -if-replica-exists "$DATA_DIR/$node.db"
  # Litestream runs the node as its child, forwards SIGTERM to it and makes a final sync after the
  # node exits 0. It splits -exec on spaces, so the arguments are joined plainly.
  exec "$litestream" replicate -config "$litestream_config" -exec "$binary $*"
fi
exec "$binary" "$@"
