# activate-map.sh MAKEMAP ACCESS: rebuilds ACCESS.db from ACCESS beside it
# and renames it into place, so sendmail never reads a half-written map.
set -eu
"$1" hash "$2.policyc-new" <"$2"
mv -f "$2.policyc-new.db" "$2.db"
