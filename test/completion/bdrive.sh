#!/bin/bash
# Drives bash's real completion in a pseudo-terminal (script, util-linux): types $3 and TAB in an
# interactive bash run in $2 with the completion script $1 loaded, and prints what the terminal showed.
script_file=$1 dir=$2 line=$3
{
  printf "PS1='>> '; bind 'set bell-style none'; source %q; cd %q; echo READY\n" "$script_file" "$dir"
  sleep 0.7
  printf '%s\t' "$line"
  sleep 1
  # Ctrl-U drops the completed line; then leave.
  printf '\025exit\n'
} | script -qec 'bash --norc --noprofile -i' /dev/null
