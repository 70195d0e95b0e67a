#!/usr/bin/env bash
# Fetch the Debian package that ships Debian's stock sendmail.mc (sendmail-cf:
# /usr/share/sendmail/cf/debian/sendmail.mc, which sendmail-base's update_mc
# copies to /etc/mail/sendmail.mc on install) and unpack it, without
# installing anything, into DIR (default: .stock/debian under the repository).
# test/e2e/stock-mail.e2e.test.ts compares policyc's sendmail.mc with it.
# `apt-get download` + `dpkg-deb -x`: no maintainer script runs, no daemon starts.
# Idempotent: when DEST already holds the version apt would download now (its
# PACKAGES file names apt's candidate version), nothing is fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-.stock/debian}"
PACKAGES=(sendmail-cf)
want=""
for p in "${PACKAGES[@]}"; do
  v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
  [ -n "$v" ] && [ "$v" != "(none)" ] || { want=""; break; }
  want+="$p $v"$'\n'
done
if [ -n "$want" ] && [ -f "$DEST/PACKAGES" ] && [ -f "$DEST/usr/share/sendmail/cf/debian/sendmail.mc" ] \
  && [ "$(cat "$DEST/PACKAGES")"$'\n' = "$(printf '%s' "$want" | sort -u)"$'\n' ]; then
  echo "fetch-stock-mail: $(cat "$DEST/PACKAGES") already unpacked in $DEST"
  exit 0
fi
work=$(mktemp -d)
chmod 0755 "$work" # apt's _apt user downloads into it
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${PACKAGES[@]}" >/dev/null)
mkdir -p "$DEST"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$DEST"
  # Record which package and version each unpacked file comes from.
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >> "$work/versions"
done
sort -u "$work/versions" > "$DEST/PACKAGES"
test -f "$DEST/usr/share/sendmail/cf/debian/sendmail.mc" || { echo "fetch-stock-mail: sendmail-cf has no cf/debian/sendmail.mc" >&2; exit 1; }
echo "fetch-stock-mail: $(cat "$DEST/PACKAGES") unpacked in $DEST"
