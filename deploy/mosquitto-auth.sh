#!/bin/sh
# Writes the files deploy/mosquitto.conf names beside it, from the environment:
#   <dir>/passwd  the ingestor's MQTT_USERNAME and MQTT_PASSWORD (hashed by mosquitto_passwd)
#   <dir>/acl     deploy/mosquitto.acl with its `user` line set to MQTT_USERNAME
# Usage: MQTT_USERNAME=sck-ingest MQTT_PASSWORD=... deploy/mosquitto-auth.sh /etc/mosquitto/sck
# Then reload Mosquitto (SIGHUP) to pick up a changed password.
set -eu
dir=${1:?usage: mosquitto-auth.sh <directory>}
: "${MQTT_USERNAME:?set MQTT_USERNAME (the ingestor's user name)}"
: "${MQTT_PASSWORD:?set MQTT_PASSWORD (the ingestor's password)}"
case "$MQTT_USERNAME" in
  *[!A-Za-z0-9_.-]*) echo "MQTT_USERNAME: letters, digits, '.', '_' or '-' only" >&2; exit 1 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
rm -f "$dir/passwd"
(umask 077 && touch "$dir/passwd")
mosquitto_passwd -b "$dir/passwd" "$MQTT_USERNAME" "$MQTT_PASSWORD"
sed "s/^user .*/user $MQTT_USERNAME/" "$here/mosquitto.acl" > "$dir/acl"
# Mosquitto drops to its own user after reading its configuration; it reads these files as that user.
chmod 644 "$dir/passwd" "$dir/acl"
