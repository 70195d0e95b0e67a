#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""policyc_files: install (or stage) a host's files of a policyc build in one pass."""

DOCUMENTATION = r"""
module: policyc_files
short_description: Install a policyc host's files in one pass, with backup, check and diff
description:
  - Compares each file with what is under I(root) (bytes, mode, owner, group)
    and, unless in check mode, installs those that differ through a
    temporary file in the same folder and a rename.
  - Creates a missing folder 0755 whatever the umask and never changes a
    folder that exists.
  - Before changing anything, takes a backup of every file it replaces or
    removes (and of I(backup_also)) in I(backup), the layout rollback.sh reads.
  - Removes the I(remove) paths (files only, never a folder).
  - Returns a diff per changed file for --diff.
options:
  root: {description: Prefix of every target ("" for /), type: str, default: ""}
  files:
    description: "[{target, mode, owner, group, content (base64) or src (a path on the host)}]"
    type: list
    elements: dict
    required: true
  remove: {description: Targets to remove, type: list, elements: str, default: []}
  backup: {description: The backup folder (the previous one is replaced), type: str}
  backup_also: {description: Targets to back up too when anything changes, type: list, elements: str, default: []}
  stage: {description: Only write the files under root (a staging folder), no owner, no backup, never "changed", type: bool, default: false}
"""

import base64
import grp
import os
import pwd
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

MAX_DIFF = 256 * 1024


def lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def text(data):
    if data is None or len(data) > MAX_DIFF:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def make_dirs(path, created):
    """mkdir -p with 0755 for what it creates; an existing folder is left as it is."""
    missing = []
    d = path
    while lstat(d) is None:
        missing.append(d)
        d = os.path.dirname(d)
    for d in reversed(missing):
        os.mkdir(d)
        os.chmod(d, 0o755)
        created.append(d)


def write_atomic(dest, data, mode, uid, gid):
    fd, tmp = tempfile.mkstemp(prefix=".policyc-new-", dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if uid is not None:
                os.fchown(f.fileno(), uid, gid)
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.rename(tmp, dest)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def take_backup(backup, root, targets):
    new = backup + ".new"
    shutil.rmtree(new, ignore_errors=True)
    old = os.umask(0o077)
    try:
        os.makedirs(os.path.join(new, "files"))
    finally:
        os.umask(old)
    lines = []
    for t in targets:
        src = root + t
        if os.path.lexists(src):
            copy = new + "/files" + t
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copy2(src, copy, follow_symlinks=False)
            st = os.lstat(src)
            if not os.path.islink(src):
                os.chown(copy, st.st_uid, st.st_gid)
            lines.append("E " + t)
        else:
            lines.append("N " + t)
    with open(os.path.join(new, "list"), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    shutil.rmtree(backup, ignore_errors=True)
    os.rename(new, backup)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="str", default=""),
            files=dict(type="list", elements="dict", required=True),
            remove=dict(type="list", elements="str", default=[]),
            backup=dict(type="str", default=None),
            backup_also=dict(type="list", elements="str", default=[]),
            stage=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    root = p["root"].rstrip("/")
    stage = p["stage"]
    changes = []  # (target, data, mode, uid, gid, before)
    diffs = []
    for f in p["files"]:
        target = f["target"]
        if not target.startswith("/") or ".." in target.split("/"):
            module.fail_json(msg="not an absolute target path: %r" % target)
        if f.get("src"):
            with open(f["src"], "rb") as s:
                data = s.read()
        else:
            data = base64.b64decode(f.get("content", ""))
        mode = int(str(f.get("mode", "0644")), 8)
        uid = gid = None
        if not stage:
            uid = pwd.getpwnam(f.get("owner", "root")).pw_uid
            gid = grp.getgrnam(f.get("group", "root")).gr_gid
        dest = root + target
        st = lstat(dest)
        before = None
        if st is not None and not os.path.islink(dest) and os.path.isfile(dest):
            with open(dest, "rb") as cur:
                before = cur.read()
        same = (
            before == data
            and st is not None
            and (st.st_mode & 0o7777) == mode
            and (stage or (st.st_uid == uid and st.st_gid == gid))
        )
        if same:
            continue
        changes.append((target, data, mode, uid, gid))
        note = []
        if st is not None and before == data:
            note.append("mode %04o, owner %d:%d" % (st.st_mode & 0o7777, st.st_uid, st.st_gid))
        diffs.append({
            "before_header": target + (" (" + ", ".join(note) + ")" if note else ""),
            "after_header": target + ((" (mode %04o, owner %s:%s)" % (mode, f.get("owner", "root"), f.get("group", "root"))) if note else ""),
            "before": text(before) if before is not None else "",
            "after": text(data) or "",
        })
    removes = [t for t in p["remove"] if os.path.lexists(root + t) and not os.path.isdir(root + t)]
    for t in removes:
        cur = None
        if os.path.isfile(root + t) and not os.path.islink(root + t):
            with open(root + t, "rb") as c:
                cur = c.read()
        diffs.append({"before_header": t, "after_header": t + " (removed)", "before": text(cur) or "", "after": ""})

    changed_targets = [c[0] for c in changes]
    if stage:
        created = []
        for target, data, mode, uid, gid in changes:
            make_dirs(os.path.dirname(root + target), created)
            write_atomic(root + target, data, mode, None, None)
        module.exit_json(changed=False, changed_targets=changed_targets)

    result = dict(
        changed=bool(changes or removes),
        changed_targets=changed_targets,
        removed=removes,
        diff=diffs,
        access_db=os.path.lexists(root + "/etc/mail/access.db"),
    )
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    if p["backup"]:
        try:
            take_backup(p["backup"], root, changed_targets + removes + [t for t in p["backup_also"] if t not in changed_targets])
        except OSError as e:
            module.fail_json(msg="cannot take the backup in %s, so nothing was changed: %s" % (p["backup"], e), backup_taken=False)
    created = []
    try:
        for target, data, mode, uid, gid in changes:
            make_dirs(os.path.dirname(root + target), created)
            write_atomic(root + target, data, mode, uid, gid)
        for t in removes:
            os.unlink(root + t)
    except OSError as e:
        # Some files may be in place already: the role's rescue restores the backup just taken.
        module.fail_json(msg="install failed: %s" % e, backup_taken=bool(p["backup"]), created_dirs=created)
    result["created_dirs"] = created
    module.exit_json(**result)


if __name__ == "__main__":
    main()
