# pam.d/imap is binary: setup.sh writes it (a NUL byte cannot be committed as text).
mkdir -p host/etc/pam.d
printf "auth required pam_unix.so\000\177ELF\n" > host/etc/pam.d/imap
printf "auth required pam_unix.so\naccount required pam_unix.so\n" > host/etc/pam.d/pop3
