#!/bin/sh
# The shop's scheduled backup, as teams often run it: pg_dump in custom format from the standby
# (sparing the primary), uploaded under BACKUP_PREFIX, where the drill restores the newest from.
# /tmp/backed-up marks the first success: the daemon starts once there is something to restore.
set -eu
while :; do
  name="shop-$(date -u +%Y%m%dT%H%M%SZ).dump"
  if pg_dump -Fc -f "/tmp/$name" && node /backup/upload.mjs "/tmp/$name" "$BACKUP_PREFIX$name"; then
    touch /tmp/backed-up
    echo "backup: uploaded $BACKUP_PREFIX$name"
    wait_s="${BACKUP_INTERVAL_SECONDS:-3600}"
  else
    echo "backup: failed; retrying in 10s" >&2
    wait_s=10
  fi
  rm -f "/tmp/$name"
  sleep "$wait_s"
done
