#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""policyc_checks: break-glass checks (pamtester) and relay probes (sendmail -bt) in one pass."""

DOCUMENTATION = r"""
module: policyc_checks
short_description: Run PAM checks with pamtester and relay probes with sendmail -bt; fail on any surprise
options:
  prefix: {description: Command prefix that runs a check with the target root seen as /, type: list, elements: str, default: []}
  pam: {description: "[{service, user, expect: allow|deny, op: acct_mgmt, rhost, tty, ruser}], and the entries of checks.json (text, source named in failures)", type: list, elements: dict, default: []}
  relay: {description: "[{client, rcpt, expect: accepted|refused, auth, client_name}], and the entries of checks.json", type: list, elements: dict, default: []}
  cf: {description: The sendmail.cf the probes run, type: str, default: /etc/mail/sendmail.cf}
  sendmail_options: {description: Extra sendmail arguments (-O ...), type: list, elements: str, default: []}
  sendmail: {type: str, default: /usr/sbin/sendmail}
  pamtester: {type: str, default: pamtester}
"""

import re

from ansible.module_utils.basic import AnsibleModule

MARK = "policyc-probe-"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            prefix=dict(type="list", elements="str", default=[]),
            pam=dict(type="list", elements="dict", default=[]),
            relay=dict(type="list", elements="dict", default=[]),
            cf=dict(type="str", default="/etc/mail/sendmail.cf"),
            sendmail_options=dict(type="list", elements="str", default=[]),
            sendmail=dict(type="str", default="/usr/sbin/sendmail"),
            pamtester=dict(type="str", default="pamtester"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    results = []
    for c in p["pam"]:
        items = []
        for item in ("rhost", "tty", "ruser"):
            if c.get(item):
                items += ["-I", "%s=%s" % (item, c[item])]
        op = c.get("op") or "acct_mgmt"
        rc, out, err = module.run_command(p["prefix"] + [p["pamtester"]] + items + [c["service"], c["user"], op])
        text = (out + err).strip()
        got = "allow" if rc == 0 else ("error" if "Error in service module" in text else "deny")
        # PAM_SERVICE_ERR (a missing list with onerr=fail) refuses too: it satisfies a deny.
        ok = got == c["expect"] or (got == "error" and c["expect"] == "deny")
        check = "pam %s %s %s%s" % (c["service"], c["user"], op, "".join(" " + i for i in items[1::2]))
        if c.get("text"):
            check = "%s (%s:%s; pamtester %s)" % (c["text"], c["source"]["file"], c["source"]["line"], check[len("pam "):])
            if not ok and c.get("groups"):
                check += " [the assertion assumes groups %s; pamtester ran with the host's account]" % ", ".join(c["groups"])
        results.append({"check": check, "expect": c["expect"], "got": got, "ok": ok, "output": text})
    if p["relay"]:
        lines = []
        for i, r in enumerate(p["relay"]):
            auth = r.get("auth") or ""
            lines += [
                ".D{client_addr}%s" % r["client"],
                ".D{client_name}%s" % (r.get("client_name") or "probe.policyc.invalid"),
                ".D{client_resolve}OK",
                ".D{auth_type}%s" % auth,
                ".D{auth_authen}%s" % ("probe@policyc.invalid" if auth else ""),
                ".Df",
                ".D{mail_from}<>",
                ".D{policycProbe}%s%d" % (MARK, i),
                "${policycProbe}",
                "check_rcpt %s" % r["rcpt"],
            ]
        argv = p["prefix"] + [p["sendmail"], "-bt", "-C", p["cf"], "-O", "DontProbeInterfaces=true"] + p["sendmail_options"]
        rc, out, err = module.run_command(argv, data="\n".join(lines) + "\n", binary_data=True)
        answers = {}
        current = None
        for raw in out.split("\n"):
            line = re.sub(r"^(> ?)+", "", raw).strip()
            if line.startswith(MARK):
                current = int(line[len(MARK):])
                continue
            m = re.match(r"^check_rcpt\s+returns:\s?(.*)$", line)
            if m and current is not None:
                answers[current] = m.group(1)
        for i, r in enumerate(p["relay"]):
            answer = answers.get(i)
            got = "no answer" if answer is None else ("refused" if re.search(r"\$#\s*(error|discard)", answer) else "accepted")
            check = "relay %s from %s" % (r["rcpt"], r["client"])
            if r.get("text"):
                check = "%s (%s:%s; check_rcpt %s from %s)" % (r["text"], r["source"]["file"], r["source"]["line"], r["rcpt"], r["client"])
            results.append({"check": check, "expect": r["expect"], "got": got,
                            "ok": got == r["expect"], "output": answer if answer is not None else (out + err)[-2000:]})
    failed = [r for r in results if not r["ok"]]
    if failed:
        module.fail_json(msg="; ".join("%s: %s, expected %s" % (r["check"], r["got"], r["expect"]) for r in failed), results=results)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
