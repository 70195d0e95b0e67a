# rollback.sh DIR ROOT: puts back what the last backup holds: each file that
# existed is restored (through a rename), each that did not is removed.
# Folders are left as they are.
set -eu
dir=$1 root=$2
[ -f "$dir/list" ] || { echo "no backup in $dir" >&2; exit 1; }
while read -r kind t; do
  case $kind in
    E)
      cp -a "$dir/files$t" "$root$t.policyc-new"
      mv -f "$root$t.policyc-new" "$root$t"
      echo "restored $t"
      ;;
    N)
      if [ -e "$root$t" ] || [ -L "$root$t" ]; then
        rm -f "$root$t"
        echo "removed $t"
      fi
      ;;
  esac
done <"$dir/list"
