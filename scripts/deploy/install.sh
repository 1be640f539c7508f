#!/usr/bin/env bash
# Installs one SalesControl node as a systemd service (replicated by Litestream when it is installed).
#   sudo scripts/deploy/install.sh [--root <dir>] [--user <name>] <core|edge|pi> <binary>
# e.g. sudo scripts/deploy/install.sh edge dist/edge-linux-x64
# --root installs the same layout under <dir> instead of / (an image being built, or a test) and
# leaves users and systemd alone; --user names the service account (default salescontrol).
set -euo pipefail

usage="usage: $0 [--root <dir>] [--user <name>] <core|edge|pi> <binary>"
root=""
user="salescontrol"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --root=*) root="${1#--root=}"; shift ;;
    --user) user="${2:?--user needs a name}"; shift 2 ;;
    --user=*) user="${1#--user=}"; shift ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
node="${1:-}"
binary="${2:-}"
case "$node" in core | edge | pi) ;; *)
  echo "$usage" >&2
  exit 2
  ;;
esac
if [ -z "$binary" ] || [ ! -f "$binary" ]; then
  echo "binary not found: ${binary:-<missing>} (build it with: npm run build)" >&2
  exit 2
fi
if [ -n "$root" ]; then root="$(cd "$root" && pwd)"; fi
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo): it writes /usr/local, /etc/salescontrol and /etc/systemd/system" >&2
  exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ -z "$root" ] && ! id "$user" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/salescontrol --shell /usr/sbin/nologin "$user"
fi
if ! id "$user" >/dev/null 2>&1; then
  echo "user $user does not exist" >&2
  exit 2
fi
if [ -z "$root" ] && [ "$node" = pi ]; then usermod -aG audio "$user"; fi
group="$(id -gn "$user")"
# Ownership needs root; an unprivileged --root install keeps the installing user's.
owned=()
shared=()
if [ "$(id -u)" -eq 0 ]; then
  owned=(-o "$user" -g "$group")
  shared=(-g "$group")
fi

state="$root/var/lib/salescontrol/$node"
install -d -m 0755 "$root/etc/salescontrol" "$root/usr/local/bin" "$root/usr/local/lib/salescontrol" "$root/usr/local/share/doc/salescontrol" "$root/etc/systemd/system"
install -d -m 0750 "${owned[@]}" "$root/var/backups/salescontrol" "$root/var/lib/salescontrol" "$state" "$state/tmp"
if [ "$node" = pi ]; then install -d -m 0750 "${owned[@]}" "$state/spool"; fi
install -m 0755 "$binary" "$root/usr/local/lib/salescontrol/salescontrol-$node"
# The command on PATH sets the service's settings and user, then runs the binary above.
sed -e "s|@NODE@|$node|g" -e "s|@ROOT@|$root|g" -e "s|@USER@|$user|g" "$here/salescontrol-command.sh" >"$root/usr/local/bin/salescontrol-$node.new"
chmod 0755 "$root/usr/local/bin/salescontrol-$node.new"
mv -f "$root/usr/local/bin/salescontrol-$node.new" "$root/usr/local/bin/salescontrol-$node"
install -m 0644 "$repo/litestream.yml" "$root/etc/salescontrol/litestream.yml"
install -m 0644 "$repo/README.md" "$root/usr/local/share/doc/salescontrol/README.md"
if [ ! -f "$root/etc/salescontrol/$node.env" ]; then
  install -m 0640 "${shared[@]}" "$here/$node.env.example" "$root/etc/salescontrol/$node.env"
  echo "wrote /etc/salescontrol/$node.env: edit it before starting the service"
fi
install -m 0644 "$here/salescontrol-$node.service" "$root/etc/systemd/system/salescontrol-$node.service"
# The recorder keeps the original agent's configuration file (it holds the device token).
if [ "$node" = pi ] && [ ! -f "$root/etc/recorder-agent/config.yaml" ]; then
  install -d -m 0755 "$root/etc/recorder-agent"
  install -m 0640 "${shared[@]}" "$repo/pi/config.yaml.example" "$root/etc/recorder-agent/config.yaml"
  echo "wrote /etc/recorder-agent/config.yaml: set the identifiers, ingest URL and token before starting the service"
fi

# Litestream ships as a .deb on its release page (neither npm nor Debian carries it).
if ! command -v litestream >/dev/null 2>&1; then
  echo "note: Litestream is not installed; the node runs without replication until it is (see README, \"Adding replication later\")"
fi

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable "salescontrol-$node.service"
fi
"$root/usr/local/bin/salescontrol-$node" self-test >/dev/null && echo "self-test passed" ||
  echo "self-test did not pass yet; after editing the settings see: salescontrol-$node check-config"
echo "installed salescontrol-$node; start it with: systemctl start salescontrol-$node"
