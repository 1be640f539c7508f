#!/usr/bin/env bash
# Installs one SalesControl node as a systemd service replicated by Litestream.
#   sudo scripts/deploy/install.sh <core|edge|pi> <binary>
# e.g. sudo scripts/deploy/install.sh edge dist/edge-linux-x64
set -euo pipefail

node="${1:-}"
binary="${2:-}"
case "$node" in core | edge | pi) ;; *)
  echo "usage: $0 <core|edge|pi> <binary>" >&2
  exit 2
  ;;
esac
if [ -z "$binary" ] || [ ! -f "$binary" ]; then
  echo "binary not found: ${binary:-<missing>} (build it with: npm run build)" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo): it writes /usr/local/bin, /etc/salescontrol and /etc/systemd/system" >&2
  exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if ! id salescontrol >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/salescontrol --shell /usr/sbin/nologin salescontrol
fi
if [ "$node" = pi ]; then usermod -aG audio salescontrol; fi

install -d -m 0755 /etc/salescontrol /usr/local/share/doc/salescontrol
install -d -m 0750 -o salescontrol -g salescontrol /var/backups/salescontrol /var/lib/salescontrol "/var/lib/salescontrol/$node" "/var/lib/salescontrol/$node/tmp"
install -m 0755 "$binary" "/usr/local/bin/salescontrol-$node"
install -m 0644 "$repo/litestream.yml" /etc/salescontrol/litestream.yml
install -m 0644 "$repo/README.md" /usr/local/share/doc/salescontrol/README.md
if [ ! -f "/etc/salescontrol/$node.env" ]; then
  install -m 0640 -g salescontrol "$here/$node.env.example" "/etc/salescontrol/$node.env"
  echo "wrote /etc/salescontrol/$node.env: edit it before starting the service"
fi
install -m 0644 "$here/salescontrol-$node.service" "/etc/systemd/system/salescontrol-$node.service"
# The recorder keeps the original agent's configuration file (it holds the device token).
if [ "$node" = pi ] && [ ! -f /etc/recorder-agent/config.yaml ]; then
  install -d -m 0755 /etc/recorder-agent
  install -m 0640 -g salescontrol "$repo/pi/config.yaml.example" /etc/recorder-agent/config.yaml
  echo "wrote /etc/recorder-agent/config.yaml: set the identifiers, ingest URL and token before starting the service"
fi

# Litestream ships as a .deb on its release page (neither npm nor Debian carries it).
if [ ! -x /usr/bin/litestream ]; then
  echo "warning: /usr/bin/litestream is missing; install the litestream .deb for this architecture before starting" >&2
fi

systemctl daemon-reload
systemctl enable "salescontrol-$node.service"
sudo -u salescontrol env TMPDIR="/var/lib/salescontrol/$node/tmp" DATA_DIR="/var/lib/salescontrol/$node" RA_DATA_DIR="/var/lib/salescontrol/$node" \
  "/usr/local/bin/salescontrol-$node" self-test >/dev/null && echo "self-test passed" ||
  echo "self-test did not pass yet; after editing the settings see: sudo -u salescontrol salescontrol-$node check-config"
echo "installed salescontrol-$node; start it with: systemctl start salescontrol-$node"
