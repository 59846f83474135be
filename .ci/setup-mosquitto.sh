#!/usr/bin/env bash
# Mosquitto MQTT broker on 127.0.0.1:1883 for tests/monitor/test_mqtt.py.
#
# Idempotent: if something already answers on 127.0.0.1:1883 it does nothing (about 0.1 s).
# Otherwise it installs Debian's mosquitto (needs root; apt-get update once) and starts it in the
# background with a local-only listener and anonymous access (test broker only: never expose it).
set -euo pipefail

log() { echo "[setup-mosquitto] $*"; }

port_open() {
  (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && exec 3>&- 3<&-
}

if port_open; then
  log "broker already listening on 127.0.0.1:1883"
  exit 0
fi

if ! command -v mosquitto >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ]; then
    echo "[setup-mosquitto] mosquitto is not installed and this is not root" >&2
    exit 1
  fi
  log "installing mosquitto"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
fi

CONF=/tmp/yuzhi-mosquitto.conf
cat > "$CONF" <<'CONF'
listener 1883 127.0.0.1
allow_anonymous true
persistence false
CONF
log "starting mosquitto"
mosquitto -d -c "$CONF"
for _ in $(seq 1 50); do
  if port_open; then
    log "broker up on 127.0.0.1:1883"
    exit 0
  fi
  sleep 0.1
done
echo "[setup-mosquitto] broker did not start" >&2
exit 1
