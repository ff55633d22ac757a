#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: initialised in a temporary folder, started
# on a free port, DATABASE_URL exported, stopped and removed afterwards whatever the command did.
set -euo pipefail

pg_bin=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [[ -x "$candidate/initdb" ]]; then pg_bin="$candidate"; break; fi
done
if [[ -z "$pg_bin" ]] && command -v initdb >/dev/null 2>&1; then
  pg_bin="$(dirname "$(command -v initdb)")"
fi
if [[ -z "$pg_bin" ]]; then
  echo "PostgreSQL server binaries not found: install Debian's postgresql package." >&2
  exit 1
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
dir="$(mktemp -d "${TMPDIR:-/tmp}/podcastcme-pg.XXXXXX")"
as_owner=()
if [[ "$(id -u)" == 0 ]]; then
  # initdb refuses to run as root: the cluster belongs to the postgres system user.
  chown postgres:postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_owner[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync \
  --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
pg_opts="-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
"${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$pg_opts" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

# Fault tests (tests/faults/) stop and start this same server: "$PODCASTCME_TEST_PG_CTL" stop|start.
cat >"$dir/pg-ctl" <<EOF
#!/usr/bin/env bash
set -euo pipefail
case "\${1:-}" in
  stop) ${as_owner[*]} "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
  start) ${as_owner[*]} "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$pg_opts" start >/dev/null ;;
  *) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
EOF
chmod +x "$dir/pg-ctl"
export PODCASTCME_TEST_PG_CTL="$dir/pg-ctl"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
set -e
exit $status
