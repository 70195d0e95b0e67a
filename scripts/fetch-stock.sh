#!/usr/bin/env bash
# Fetch the Debian packages that own the stock /etc/pam.d files policyc's
# Debian templates are built from, and unpack them (dpkg-deb -x) into a cache
# folder: nothing is installed, no daemon is started. The stock-file tests
# (test/unit/stock-debian.test.ts) compare every shipped template with these
# files; with CI=true a missing cache fails them.
#   bash scripts/fetch-stock.sh [DIR]     default DIR: $POLICYC_STOCK_DIR or /var/cache/policyc-stock
# Idempotent: a package already unpacked (DIR/PKG/.done) is not fetched again.
set -euo pipefail

DIR="${1:-${POLICYC_STOCK_DIR:-/var/cache/policyc-stock}}"
# Package -> the pam.d files it ships on Debian 12 (bookworm).
PACKAGES=(openssh-server login util-linux sudo cron vsftpd dovecot-core libpam-runtime passwd sendmail-base)

mkdir -p "$DIR"
missing=()
for p in "${PACKAGES[@]}"; do
  [ -f "$DIR/$p/.done" ] || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "fetch-stock: all packages already unpacked in $DIR."
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download needs the package lists; update them only when a download fails.
if ! (cd "$work" && apt-get download "${missing[@]}" >/dev/null 2>&1); then
  apt-get update >/dev/null
  (cd "$work" && apt-get download "${missing[@]}")
fi
for p in "${missing[@]}"; do
  deb=$(ls "$work"/"${p}"_*.deb | head -n 1)
  rm -rf "${DIR:?}/$p"
  mkdir -p "$DIR/$p"
  dpkg-deb -x "$deb" "$DIR/$p"
  dpkg-deb -f "$deb" Version > "$DIR/$p/.version"
  touch "$DIR/$p/.done"
  echo "fetch-stock: $p $(cat "$DIR/$p/.version") -> $DIR/$p"
done
