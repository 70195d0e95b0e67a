# Makes a policy of 70 MB (over the 64 MiB a file may have).
printf "platform debian;\n" > main.policy
head -c 73400320 /dev/zero | tr "\\000" " " >> main.policy
