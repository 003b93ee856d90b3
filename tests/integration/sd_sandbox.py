#!/usr/bin/python3
# sd_sandbox.py UNIT -- COMMAND [ARGS...]
#
# Used by test_systemd.sh: apply the seccomp-based hardening options of a systemd service unit
# the way systemd 252 applies them, then exec COMMAND (same pid). There is no running systemd
# on the test machine, so this stands in for it:
#
#   SystemCallFilter=        allow-list (plus @default, which systemd adds to every allow-list)
#                            minus the "~" lists; anything else kills the process (SIGSYS)
#   SystemCallArchitectures=native   other ABIs (x32, i386) kill the process
#   MemoryDenyWriteExecute=yes       mmap W+X, mprotect/pkey_mprotect +X, shmat SHM_EXEC: EPERM
#   RestrictAddressFamilies=         socket() of another family: EAFNOSUPPORT
#   RestrictNamespaces=yes           unshare/clone with CLONE_NEW*, setns: EPERM; clone3: ENOSYS
#   RestrictRealtime=yes             sched_setscheduler to FIFO/RR/DEADLINE: EPERM
#   LockPersonality=yes              personality() other than PER_LINUX: EPERM
#
# Each is its own filter, as systemd installs them; the kernel applies the strictest verdict.
# Group contents come from `systemd-analyze syscall-filter`. Needs Debian's python3-seccomp
# (run with /usr/bin/python3). NoNewPrivileges is implied (libseccomp sets it).
# The mount and credential options (ProtectSystem, ProtectHome, PrivateTmp, User, UMask,
# CapabilityBoundingSet) are done by the calling shell (unshare, setpriv).
import errno
import os
import socket
import subprocess
import sys

import seccomp


def die(msg):
    sys.stderr.write("sd_sandbox: %s\n" % msg)
    sys.exit(111)


def unit_settings(path):
    """[Service] assignments of a unit file, in order: [(key, value)]."""
    out, section = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section == "Service" and "=" in line:
                k, v = line.split("=", 1)
                out.append((k.strip(), v.strip()))
    return out


_groups = {}


def expand(name, seen=None):
    """A syscall name or @group -> set of syscall names (recursively)."""
    if not name.startswith("@"):
        return {name}
    if seen is None:
        seen = set()
    if name in seen:
        return set()
    seen.add(name)
    if name not in _groups:
        text = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                              capture_output=True, text=True).stdout
        items = []
        for line in text.splitlines()[1:]:
            line = line.strip()
            if not line or line.startswith("#"):
                # "# Unlisted System Calls" ends the group proper
                if line.startswith("# Unlisted"):
                    break
                continue
            items.append(line)
        _groups[name] = items
    result = set()
    for item in _groups[name]:
        result |= expand(item, seen)
    return result


def add(f, action, name, *args):
    try:
        f.add_rule(action, name, *args)
        return True
    except (RuntimeError, ValueError, OSError):
        return False   # not a syscall of this architecture


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        die("usage: sd_sandbox.py UNIT -- COMMAND [ARGS...]")
    unit, cmd = sys.argv[1], sys.argv[3:]
    settings = unit_settings(unit)
    filters, notes = [], []

    # SystemCallFilter=
    allow, deny, allow_list, syscall_filter = set(), set(), None, None
    for k, v in settings:
        if k != "SystemCallFilter":
            continue
        if not v:
            allow, deny, allow_list = set(), set(), None
            continue
        invert = v.startswith("~")
        names = v.lstrip("~").split()
        if allow_list is None:
            allow_list = not invert
            if allow_list:
                allow |= expand("@default")
        target = deny if invert == allow_list else allow
        for n in names:
            target |= expand(n)
    if allow_list is not None:
        if not allow_list:
            die("deny-list-only SystemCallFilter= not emulated")
        allowed = allow - deny
        f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
        n = sum(add(f, seccomp.ALLOW, s) for s in sorted(allowed))
        syscall_filter = f
        notes.append("SystemCallFilter: %d syscalls allowed, %d denied" % (n, len(deny)))

    opts = dict(settings)
    # MemoryDenyWriteExecute=yes
    if opts.get("MemoryDenyWriteExecute") == "yes":
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        wx = 0x2 | 0x4   # PROT_WRITE | PROT_EXEC
        add(f, seccomp.ERRNO(errno.EPERM), "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        add(f, seccomp.ERRNO(errno.EPERM), "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, 0x4, 0x4))
        add(f, seccomp.ERRNO(errno.EPERM), "pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, 0x4, 0x4))
        add(f, seccomp.ERRNO(errno.EPERM), "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, 0o100000, 0o100000))
        filters.append(f)
        notes.append("MemoryDenyWriteExecute")

    # RestrictAddressFamilies=
    fams = [v for k, v in settings if k == "RestrictAddressFamilies"]
    if fams and fams[-1]:
        names = fams[-1].lstrip("~").split()
        if fams[-1].startswith("~"):
            die("deny-list RestrictAddressFamilies= not emulated")
        keep = {int(getattr(socket, n)) for n in names}
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for fam in range(0, 64):
            if fam not in keep:
                add(f, seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, fam))
        filters.append(f)
        notes.append("RestrictAddressFamilies: %s" % " ".join(names))

    # RestrictNamespaces=yes
    if opts.get("RestrictNamespaces") == "yes":
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                     0x40000000, 0x00000080):
            for call in ("unshare", "clone"):
                add(f, seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
        add(f, seccomp.ERRNO(errno.EPERM), "setns")
        add(f, seccomp.ERRNO(errno.ENOSYS), "clone3")
        filters.append(f)
        notes.append("RestrictNamespaces")

    # RestrictRealtime=yes
    if opts.get("RestrictRealtime") == "yes":
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for policy in (1, 2, 6):   # SCHED_FIFO, SCHED_RR, SCHED_DEADLINE
            add(f, seccomp.ERRNO(errno.EPERM), "sched_setscheduler",
                seccomp.Arg(1, seccomp.MASKED_EQ, 0xff, policy))
        filters.append(f)
        notes.append("RestrictRealtime")

    # LockPersonality=yes
    if opts.get("LockPersonality") == "yes":
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        add(f, seccomp.ERRNO(errno.EPERM), "personality", seccomp.Arg(0, seccomp.NE, 0))
        filters.append(f)
        notes.append("LockPersonality")

    if opts.get("SystemCallArchitectures", "native") != "native":
        die("only SystemCallArchitectures=native is emulated")
    notes.append("SystemCallArchitectures=native")

    if os.environ.get("SD_SANDBOX_VERBOSE"):
        sys.stderr.write("sd_sandbox: %s\n" % "; ".join(notes))
    # All filters are evaluated and the strictest verdict wins. The allow-list goes last: it
    # does not allow seccomp() itself.
    if syscall_filter is not None:
        filters.append(syscall_filter)
    for f in filters:
        f.load()
    os.execv(cmd[0], cmd)


main()
