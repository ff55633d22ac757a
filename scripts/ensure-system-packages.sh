#!/usr/bin/env bash
# Install the Debian packages a profile needs when they are missing (only as root; otherwise say
# which to install). Profiles: base (venv and build), run (make run), test (make test / bench).
set -euo pipefail
profile="${1:-run}"

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want_cmd() { have_cmd "$1" || need+=("$2"); }
want_pkg() { if have_cmd dpkg-query; then have_pkg "$1" || need+=("$1"); fi; }

if ! have_cmd python3; then need+=(python3); fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need+=(python3-venv); fi

if [[ "$profile" == run || "$profile" == test ]]; then
  want_cmd ffmpeg ffmpeg             # demo audio, audio checks
  want_cmd espeak-ng espeak-ng       # spoken demo intros
  want_pkg libpango-1.0-0            # WeasyPrint (certificates)
  want_pkg libpangoft2-1.0-0
  want_pkg fonts-dejavu-core
fi
if [[ "$profile" == test ]]; then
  want_cmd pdftotext poppler-utils   # reading certificates back
  want_cmd zbarimg zbar-tools        # decoding certificate QR codes
  want_cmd redis-server redis-server # shared state tests (testkit/redis.py, docs/shared-state.md)
  want_cmd openssl openssl           # a test certificate for the importer's https fetch
  want_cmd systemd-analyze systemd   # `systemd-analyze verify` of deploy/systemd/ (tests/core/test_operations.py)
  want_cmd chromium chromium         # Playwright drives Debian's browser
  # nginx: the documented redacted access-log format (docs/deploy-nginx.md) is run by a test
  if ! have_cmd nginx && [[ ! -x /usr/sbin/nginx ]]; then need+=(nginx-light); fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! have_cmd initdb; then
    need+=(postgresql)
  fi
fi

if ((${#need[@]} == 0)); then exit 0; fi
if [[ "$(id -u)" != 0 ]]; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! have_cmd apt-get; then
  echo "Missing system packages (${need[*]}) and no apt-get to install them with." >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
