# Someone put a file of their own in OUT: a copy of OUT would deploy it.
mkdir -p out/etc
printf "mine\n" > out/etc/notes.txt
