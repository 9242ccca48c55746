#!/usr/bin/env bash
# Bounded load run on loopback: gunicorn (production settings) + PostgreSQL + seed_demo data,
# wrk against the dashboard, its JSON and the admin worker list as logged-in users.
# Usage: benchmarks/load_test.sh [WORKERS=16413] [SECONDS=30] [CONNECTIONS=8]
# Prints wrk's summary per URL (requests/s, latency percentiles, non-2xx count).
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${1:-16413}
SECONDS_EACH=${2:-30}
CONNECTIONS=${3:-8}
DB=siaga_load
PORT=8765
PY=.venv/bin/python

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
make install >/dev/null
.venv/bin/pip install -q gunicorn

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export DEBUG=False SECRET_KEY="load-test-only-$(head -c 32 /dev/urandom | base64 | tr -dc a-zA-Z0-9)"
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=False SESSION_COOKIE_SECURE=False \
       CSRF_COOKIE_SECURE=False STATIC_ROOT=/tmp/siaga-load-static AXES_FAILURE_LIMIT=1000

psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE ${DB}"
$PY manage.py migrate -v0
$PY manage.py seed_demo --workers "$WORKERS" >/dev/null
$PY manage.py collectstatic --no-input -v0
cookies=$($PY manage.py shell --no-imports -c "
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
User = get_user_model()
out = []
for name, staff, group in [('loadstaf', True, 'Verifikator'), ('loadpimpinan', False, 'Pimpinan')]:
    user, _ = User.objects.get_or_create(username=name, defaults={'is_staff': staff})
    user.groups.add(Group.objects.get(name=group))
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    out.append(s.session_key)
print(' '.join(out))
")
read -r STAFF_SESSION OFFICIAL_SESSION <<<"$cookies"

.venv/bin/gunicorn siaga.wsgi --bind 127.0.0.1:$PORT --workers 3 --log-level warning &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)"' EXIT
for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$PORT/dashboard/login/" && break; sleep 1; done

YEAR=$($PY manage.py shell --no-imports -c "from enrollment.models import ProgramYear; print(ProgramYear.objects.order_by('-year').filter(enrollments__isnull=False).values_list('year', flat=True).first())")
run() {  # label, session, path
    echo "### $1  (GET $3, ${CONNECTIONS} connections, ${SECONDS_EACH}s)"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency --timeout 10s \
        -H "Cookie: sessionid=$2" "http://127.0.0.1:$PORT$3" \
        | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors|requests in"
    echo
}
run "dashboard page (Pimpinan)" "$OFFICIAL_SESSION" "/dashboard/?year=$YEAR"
run "dashboard JSON (Pimpinan)" "$OFFICIAL_SESSION" "/dashboard/$YEAR.json"
run "admin worker list (Verifikator)" "$STAFF_SESSION" "/admin/participants/worker/"
run "admin NIK search (Verifikator)" "$STAFF_SESSION" "/admin/participants/worker/?q=3577011204850001"
