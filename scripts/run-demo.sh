#!/usr/bin/env bash
# `make run`: serve on the embedded default (SQLite file, built-in catalog)
# with a demo partner. The partner and its key are created on first start;
# the credentials are kept in .offerledger-demo.json (mode 600, git-ignored)
# so that every later start can print them again.
set -euo pipefail

BIN=${BIN:-build/offerledger}
DB=${DB:-sqlite:./offerledger.db}
LISTEN=${LISTEN:-127.0.0.1:8080}
PARTNER=${PARTNER:-DEMO}
CREDS=${CREDS:-.offerledger-demo.json}
ADMIN_TOKEN_FILE=${ADMIN_TOKEN_FILE:-.offerledger-admin-token}
# The master key that encrypts the API secrets at rest (docs/storage.md):
# 32 random bytes as hex, mode 600, git-ignored; made once, never printed.
MASTER_KEY_FILE=${MASTER_KEY_FILE:-./offerledger.key}

# The demo partner is created on first start; if its credentials file is
# lost, a new key is issued; if the database was removed, the partner is made
# again. Either way the printed credentials work.
umask 077
if [[ ! -s $MASTER_KEY_FILE ]]; then
  openssl rand -hex 32 > "$MASTER_KEY_FILE.tmp"
  mv "$MASTER_KEY_FILE.tmp" "$MASTER_KEY_FILE"
  echo "offerledger: created the master key file $MASTER_KEY_FILE (mode 600; keep it: without it the API secrets cannot be read)"
fi
chmod 600 "$MASTER_KEY_FILE"
known=$("$BIN" partner list --db "$DB" --json)
if ! grep -q "\"partner\":\"$PARTNER\"" <<<"$known"; then
  "$BIN" partner add "$PARTNER" --name "Demo partner" --db "$DB" --json \
    --master-key-file "$MASTER_KEY_FILE" > "$CREDS.tmp"
  mv "$CREDS.tmp" "$CREDS"
elif [[ ! -s $CREDS ]] || ! grep -q "$(sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p' "$CREDS")" <<<"$known"; then
  "$BIN" partner add-key "$PARTNER" --db "$DB" --json \
    --master-key-file "$MASTER_KEY_FILE" > "$CREDS.tmp"
  mv "$CREDS.tmp" "$CREDS"
fi

# The admin token opens the dashboard and the admin report API; made once,
# kept beside the credentials (mode 600).
if [[ ! -s $ADMIN_TOKEN_FILE ]]; then
  openssl rand -hex 24 > "$ADMIN_TOKEN_FILE"
fi
ADMIN_TOKEN=$(cat "$ADMIN_TOKEN_FILE")

field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$CREDS"; }
KEY=$(field api_key)
SECRET=$(field api_secret)
BASE="http://$LISTEN"

cat <<EOT

  offerledger demo partner
    partner code: $PARTNER
    api key:      $KEY
    api secret:   $SECRET        (kept in $CREDS)

  A quote, then its opt-out, signed by hand (paste into another terminal):

    KEY='$KEY' SECRET='$SECRET' BASE='$BASE/x/partners/$PARTNER'
    sign() { # METHOD PATH -> headers for curl
      local d s; d=\$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
      s=\$(printf '(request-target): %s %s\ndate: %s' "\$1" "\$2" "\$d" |
          openssl dgst -sha512 -hmac "\$SECRET" -binary | base64 -w0 |
          sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')
      printf 'Date: %s\nAuthorization: Signature keyId="%s",algorithm="hmac-sha512",headers="(request-target) date",signature="%s"\n' "\$d" "\$KEY" "\$s"
    }
    P=/x/partners/$PARTNER/quotes/
    ID=\$(curl -s -H @<(sign post \$P) -H 'Content-Type: application/json' --data @tests/fixtures/demo-quote.json $BASE\$P | sed 's/^{"id":"\([^"]*\)".*/\1/')
    echo "quote package \$ID"
    P=/x/partners/$PARTNER/bookings/\$ID/opt_out
    curl -si -X POST -H @<(sign post \$P) $BASE\$P | head -1     # HTTP/1.1 204 No Content

  Then the conversion report and the dashboard:

    build/offerledger report conversion --db $DB --group partner,policy_type
    open $BASE/admin/dashboard#token=$ADMIN_TOKEN
    (API secrets encrypted at rest with the master key in $MASTER_KEY_FILE;
     admin token in $ADMIN_TOKEN_FILE; the dashboard counts an offer as "no answer"
     after the decision window, 7 days: pass DECISION_WINDOW_DAYS=0 to make run to see it at once)

EOT
exec "$BIN" serve --listen "$LISTEN" --db "$DB" --admin-token-file "$ADMIN_TOKEN_FILE" \
  --master-key-file "$MASTER_KEY_FILE" \
  --decision-window-days "${DECISION_WINDOW_DAYS:-7}"
