# Makes a 60 MB policy file; main.policy includes it five times (300 MB in all).
printf "users big = alice;\n" > big.policy
head -c 62914560 /dev/zero | tr "\\000" " " >> big.policy
