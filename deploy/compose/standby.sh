#!/bin/sh
# A streaming standby of `primary`, as production would run one. On first start it clones the
# primary with pg_basebackup (-R writes primary_conninfo and standby.signal; a fast checkpoint,
# or it waits minutes for a spread one on an idle primary), then runs postgres in recovery.
# PGPASSWORD (the replicator's) serves both pg_basebackup and the walreceiver.
# hot_standby_feedback keeps the backup service's pg_dump from being cancelled.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup -h primary -U replicator -D "$PGDATA" -X stream -R --checkpoint=fast; do
    echo "standby: primary not ready for a base backup yet; retrying in 2s" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  # The volume's directory is world-writable; postgres insists on 0700.
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
