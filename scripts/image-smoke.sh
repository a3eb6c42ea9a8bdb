#!/usr/bin/env bash
# The image as ops run it (`npm run test:image`): build it, then run the production stack from
# it — the ESIA emulator, migrations through `npx esia-broker`, the demo seed job, the broker
# (NODE_ENV=production, secrets from files) and the demo diary — on this machine's PostgreSQL
# and Redis with --network host; run `esia-broker doctor` in the image with the broker's settings
# against the emulator; log one persona in through Chromium; check /readyz, the image's
# HEALTHCHECK status and that SIGTERM ends the broker with exit code 0; clean up.
# No Docker engine reachable: says so and exits 0 (skipped). Any failed check: exit 1.
#
# Settings (environment): DOCKER_HOST as for docker; SMOKE_DATABASE_URL (a PostgreSQL URL whose
# user may create databases; default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres);
# SMOKE_REDIS_URL (default $REDIS_URL, else redis://127.0.0.1:6379); SMOKE_IMAGE (esia-broker:smoke);
# SMOKE_SKIP_BUILD=1 (use an already built SMOKE_IMAGE); SMOKE_KEEP_IMAGE=1 (do not remove it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== image smoke: %s\n' "$*"; }
fail() { printf '== image smoke: FAILED: %s\n' "$*" >&2; exit 1; }

if ! command -v docker >/dev/null 2>&1; then
  say "SKIPPED: no docker client on PATH (see docs/operations.md, "The image smoke test")"; exit 0
fi
if ! docker info >/dev/null 2>&1; then
  say "SKIPPED: no Docker engine reachable at ${DOCKER_HOST:-unix:///var/run/docker.sock} (see docs/operations.md, "The image smoke test")"; exit 0
fi

image="${SMOKE_IMAGE:-esia-broker:smoke}"
admin_db_url="${SMOKE_DATABASE_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
redis_url="${SMOKE_REDIS_URL:-${REDIS_URL:-redis://127.0.0.1:6379}}"
id="esia-smoke-$$"
db="esia_smoke_$$"
prefix="smoke:$$:"
work="$(mktemp -d)"
built=""

cleanup() {
  local rc=$?
  set +e
  for c in diary broker emulator; do
    if [ "$rc" != 0 ] && docker inspect "$id-$c" >/dev/null 2>&1; then
      printf -- '-- last log lines of %s\n' "$c" >&2; docker logs --tail 30 "$id-$c" >&2 2>&1
    fi
    docker rm -f "$id-$c" >/dev/null 2>&1
  done
  docker volume rm -f "$id-dev" >/dev/null 2>&1
  psql "$admin_db_url" -qc "drop database if exists $db with (force)" >/dev/null 2>&1
  redis-cli -u "$redis_url" --scan --pattern "${prefix}*" 2>/dev/null | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1
  if [ -n "$built" ] && [ "${SMOKE_KEEP_IMAGE:-}" != 1 ]; then docker rmi -f "$image" >/dev/null 2>&1; fi
  rm -rf "$work"
  if [ "$rc" = 0 ]; then say "PASSED"; fi
}
trap cleanup EXIT

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# Waits until "$@" succeeds (once a second), up to $1 seconds; the failure message names $2.
wait_for() {
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  fail "$what: not within ${seconds} s"
}
http_ok() { curl -fsS -o /dev/null --max-time 3 "$1"; }

command -v psql >/dev/null || fail "psql is needed to create the smoke database"
command -v curl >/dev/null || fail "curl is needed"
psql "$admin_db_url" -qc 'select 1' >/dev/null || fail "PostgreSQL not reachable at SMOKE_DATABASE_URL"
redis-cli -u "$redis_url" ping >/dev/null || fail "Redis not reachable at SMOKE_REDIS_URL"

if [ "${SMOKE_SKIP_BUILD:-}" = 1 ]; then
  say "using the image $image as built"
else
  say "building $image (classic builder, --network host)"
  started=$SECONDS
  DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" docker build --network host -t "$image" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; fail "docker build"; }
  built=1
  say "built in $((SECONDS - started)) s"
fi
node_version="$(docker run --rm "$image" node --version)"
say "image runs Node $node_version"
case "$node_version" in v24.*) ;; *) fail "the image should run Node 24 LTS, runs $node_version" ;; esac

broker_port="$(free_port)"; diary_port="$(free_port)"; esia_port="$(free_port)"
broker_url="http://127.0.0.1:$broker_port"; diary_url="http://127.0.0.1:$diary_port"; esia_url="http://127.0.0.1:$esia_port"
psql "$admin_db_url" -qc "create database $db"
database_url="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$admin_db_url" "$db")"

# Production secrets as files (the *_FILE settings), readable by the image's node user.
mkdir -m 755 "$work/secrets"
secret() { node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"; }
for name in cookie_secret snils_hmac_key key_encryption_key admin_token; do secret >"$work/secrets/$name"; done
printf '%s' "$database_url" >"$work/secrets/database_url"
printf '%s' "$redis_url" >"$work/secrets/redis_url"
chmod 644 "$work/secrets"/*
cat >"$work/broker.env" <<EOF
NODE_ENV=production
PORT=$broker_port
HOST=127.0.0.1
PUBLIC_URL=$broker_url
DATABASE_URL_FILE=/run/secrets/database_url
REDIS_URL_FILE=/run/secrets/redis_url
REDIS_KEY_PREFIX=$prefix
MIGRATE_ON_START=false
COOKIE_SECRET_FILE=/run/secrets/cookie_secret
SNILS_HMAC_KEY_FILE=/run/secrets/snils_hmac_key
KEY_ENCRYPTION_KEY_FILE=/run/secrets/key_encryption_key
ADMIN_TOKEN_FILE=/run/secrets/admin_token
ESIA_URL=$esia_url
ESIA_CLIENT_ID=ESIA_BROKER_DEV
ESIA_KEY_FILE=/var/lib/esia-dev/esia-dev/client-key.pem
ESIA_CERT_FILE=/var/lib/esia-dev/esia-dev/client-cert.pem
ESIA_TOKEN_CERT_FILE=/var/lib/esia-dev/esia-dev/esia-token-certs.pem
EOF
broker_args=(--network host --env-file "$work/broker.env" -v "$work/secrets:/run/secrets:ro" -v "$id-dev:/var/lib/esia-dev:ro")

say "ESIA emulator on $esia_url, started with the command docs/emulator.md gives (generates the development GOST keys into a volume)"
docker volume create "$id-dev" >/dev/null
docker run -d --name "$id-emulator" --network host -v "$id-dev:/var/lib/esia-broker" \
  -e EMULATOR_HOST=127.0.0.1 -e EMULATOR_PORT="$esia_port" -e EMULATOR_PUBLIC_URL="$esia_url" \
  -e EMULATOR_REDIRECT_URIS="$broker_url/esia/callback" -e EMULATOR_PERSONAS_FILE=/app/config/esia-personas.json \
  -e DATA_DIR=/var/lib/esia-broker "$image" esia-emulator >/dev/null
wait_for 120 "the emulator's token certificates" http_ok "$esia_url/public/esia-token-certs.pem"

say "esia-broker doctor in the image (the broker's settings, against the emulator)"
doctor_code=0
docker run --rm -w /tmp "${broker_args[@]}" "$image" esia-broker doctor >"$work/doctor.txt" 2>&1 || doctor_code=$?
sed 's/^/   /' "$work/doctor.txt"
[ "$doctor_code" = 0 ] || fail "esia-broker doctor exited with code $doctor_code"
# One ok line per check it makes; the only warning expected is the one this setup earns
# (production settings against the emulator). Anything else WARN or FAIL is a finding.
for check in configuration openssl certificate 'token certificates' signer 'ESIA reachable' clock; do
  grep -q "^ok    $check: " "$work/doctor.txt" || fail "esia-broker doctor reports no ok '$check' line"
done
grep -q '^ok    openssl: OpenSSL .*GOST through the gost engine /' "$work/doctor.txt" || fail "doctor: openssl without the gost engine in the image"
grep -q '^ok    certificate: the system certificate .* valid until ' "$work/doctor.txt" || fail "doctor: no validity of the system certificate"
grep -q '^ok    signer: ESIA_SIGNER=openssl signed a probe' "$work/doctor.txt" || fail "doctor: no signer self-test"
grep -q "^ok    ESIA reachable: $esia_url/" "$work/doctor.txt" || fail "doctor: did not reach the emulator at $esia_url"
grep -q "^ok    clock: local clock within " "$work/doctor.txt" || fail "doctor: no clock skew against the emulator"
unexpected="$(grep -E '^(WARN|FAIL)  ' "$work/doctor.txt" | grep -v '^WARN  configuration: production settings against the ESIA emulator' || true)"
[ -z "$unexpected" ] || fail "doctor: unexpected findings: $unexpected"
# The hash doctor prints, against one the image's openssl CLI computes on its own (DER, Streebog-256).
doctor_hash="$(sed -n 's/^ok    certificate: client_certificate_hash \([0-9A-F]\{64\}\):.*/\1/p' "$work/doctor.txt")"
cli_hash="$(docker run --rm -v "$id-dev:/var/lib/esia-dev:ro" "$image" sh -c \
  'openssl x509 -in /var/lib/esia-dev/esia-dev/client-cert.pem -outform DER | openssl dgst -engine gost -md_gost12_256 -r 2>/dev/null' | cut -d' ' -f1 | tr a-f A-F)"
[ -n "$doctor_hash" ] && [ "$doctor_hash" = "$cli_hash" ] || fail "doctor's client_certificate_hash '${doctor_hash}' is not the certificate's Streebog-256 '${cli_hash}'"
say "doctor: exit 0, every check ok, client_certificate_hash agrees with openssl dgst in the image"

say "migrations: npx esia-broker migrate (from another directory than /app)"
docker run --rm -w /tmp "${broker_args[@]}" "$image" npx esia-broker migrate || fail "npx esia-broker migrate"

say "demo seed job"
docker run --rm --network host -e DATABASE_URL="$database_url" -e SNILS_HMAC_KEY="$(cat "$work/secrets/snils_hmac_key")" \
  -e DEMO_DIARY_URL="$diary_url" -e DEMO_BROKER_URL="$broker_url" -e DEMO_EMULATOR_URL="$esia_url" \
  "$image" node dist/src/demo/seed-main.js >"$work/seed.log" || { cat "$work/seed.log" >&2; fail "demo seed"; }

say "broker on $broker_url (NODE_ENV=production, the image's CMD and HEALTHCHECK)"
docker run -d --name "$id-broker" "${broker_args[@]}" "$image" >/dev/null
health() { docker inspect -f '{{.State.Health.Status}}' "$id-broker"; }
is_healthy() { [ "$(health)" = healthy ]; }
wait_for 180 "healthcheck status healthy (last: $(health 2>/dev/null || echo none))" is_healthy
say "healthcheck status: $(health)"
readyz="$(curl -fsS --max-time 5 "$broker_url/readyz")" || fail "/readyz did not answer 200"
say "/readyz: $readyz"
docker exec "$id-broker" esia-broker clients list >"$work/clients.txt" || fail "esia-broker on the PATH inside the container"
grep -q demo-diary "$work/clients.txt" || fail "esia-broker clients list does not show the seeded demo-diary client"
say "esia-broker (on the PATH) lists the seeded client"

say "demo diary on $diary_url"
docker run -d --name "$id-diary" --network host -e DIARY_ISSUER="$broker_url" -e DIARY_PUBLIC_URL="$diary_url" \
  -e HOST=127.0.0.1 -e PORT="$diary_port" "$image" node dist/src/demo/diary-main.js >/dev/null
wait_for 120 "the demo diary" http_ok "$diary_url/healthz"

say "a persona logs in through Chromium"
npx tsx scripts/image-smoke-login.ts "$diary_url" || fail "browser login"

say "SIGTERM to the broker"
docker kill --signal TERM "$id-broker" >/dev/null
code="$(timeout 60 docker wait "$id-broker")" || fail "the broker did not stop within 60 s of SIGTERM"
[ "$code" = 0 ] || fail "the broker exited with code $code after SIGTERM"
say "the broker exited with code 0 after SIGTERM"
