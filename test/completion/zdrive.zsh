# Drives zsh's real completion in a pseudo-terminal: prints what TAB offers for the line $3, run in $2 with $1 in fpath.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='>> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; zstyle ':completion:*' list-prompt ''; LISTMAX=1000; cd $2; print READY"
out=""
for i in {1..50}; do zpty -r -t z chunk && out+=$chunk; [[ $out == *READY*'>> '* ]] && break; sleep 0.1; done
zpty -wn z "$3"$'\t'
out=""
# Read until the output has been quiet for half a second after TAB changed the line (at most 10 s): while it still
# ends with the line as typed, the completion (which runs policyc) is still working, which takes longer on a loaded
# machine; after 3 s of quiet, whatever is there is the answer.
quiet=0
for i in {1..100}; do
  sleep 0.1
  if zpty -r -t z chunk; then out+=$chunk; quiet=0; while zpty -r -t z chunk; do out+=$chunk; done; else (( quiet++ )); fi
  (( quiet >= 5 && ${#out} > 0 )) && [[ $out != *"$3" ]] && break
  (( quiet >= 30 )) && break
done
zpty -d z
print -r -- "$out"
