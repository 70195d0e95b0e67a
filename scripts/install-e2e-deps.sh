#!/usr/bin/env bash
# Install what the end-to-end tests (test/e2e) need on Debian/Ubuntu: the real
# m4 + sendmail + Cyrus SASL tools, swaks (with the Perl modules it needs for
# DIGEST-MD5), pamtester, and ip (iproute2) and nsenter (util-linux) for the
# private network namespace the SMTP tests run in, and neovim, whose built-in
# LSP client drives policyc lsp in test/e2e/neovim.e2e.test.ts. Idempotent: does nothing
# when all are present.
# Run as root. The tests themselves also need root (unshare -m, mount --bind).
set -euo pipefail

# libsasl2-modules holds the PLAIN, LOGIN, CRAM-MD5 and DIGEST-MD5 plugins:
# only a Recommends of libsasl2-2, so named here (some images lack it).
# jq runs the README's deploy recipe; ansible-core runs the shipped Ansible
# role (ansible/) in test/e2e/ansible-role.e2e.test.ts; neovim is the real
# LSP client of test/e2e/neovim.e2e.test.ts; zsh and groff-base test the
# shell completions and the man page; strace counts diff --root's opens
# (test/e2e/diff-root-opens.e2e.test.ts).
PACKAGES=(m4 sendmail-cf sendmail-bin sasl2-bin libsasl2-modules swaks pamtester libauthen-sasl-perl libdigest-hmac-perl iproute2 util-linux openssl jq ansible-core neovim zsh groff-base strace)

have_all() {
  local t
  for t in m4 sendmail makemap saslpasswd2 saslauthd testsaslauthd swaks pamtester unshare nsenter ip timeout openssl jq ansible-playbook nvim zsh groff strace; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null 2>&1 || return 1
  done
  [ -f /usr/share/sendmail/cf/m4/cf.m4 ] || return 1
  compgen -G "/usr/lib/*/sasl2/libcrammd5.so*" >/dev/null || return 1
  compgen -G "/usr/lib/*/sasl2/libplain.so*" >/dev/null || return 1
  perl -MAuthen::SASL -MDigest::HMAC_MD5 -e 1 >/dev/null 2>&1 || return 1
}

if have_all; then
  echo "install-e2e-deps: all e2e tools already present; nothing to do."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-e2e-deps: must run as root (apt-get)." >&2
  exit 1
fi

# sendmail-bin's postinst tries to start the daemon; a policy-rc.d that exits
# 101 forbids service starts during the install. Only written when absent,
# and removed again afterwards if this script wrote it.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$POLICY"
  chmod 0755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"

if have_all; then
  echo "install-e2e-deps: done."
else
  echo "install-e2e-deps: packages installed but some tool is still missing." >&2
  exit 1
fi
