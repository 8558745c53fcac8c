"""The OpenSSH `ssh` client against the testbed: an exec request, an interactive shell (-tt), and
the legacy algorithm set against a legacy device. The password comes from SSH_ASKPASS reading an
environment variable, never from argv."""

import os
import stat
import subprocess
import sys
import tempfile

from inventory import Results, expect, first, load

COMMON = [
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "PubkeyAuthentication=no",
    "-o", "PreferredAuthentications=password,keyboard-interactive",
    "-o", "NumberOfPasswordPrompts=1",
    "-o", "ConnectTimeout=20",
    "-o", "LogLevel=ERROR",
]
LEGACY = [
    "-o", "KexAlgorithms=diffie-hellman-group14-sha1",
    "-o", "HostKeyAlgorithms=ssh-rsa",
    "-o", "Ciphers=aes128-ctr",
    "-o", "MACs=hmac-sha1",
]


def askpass_env(password, folder):
    script = os.path.join(folder, "askpass.sh")
    with open(script, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\nprintf "%s\\n" "$TESTBED_PASSWORD"\n')
    os.chmod(script, stat.S_IRWXU)
    env = dict(os.environ)
    env.update(SSH_ASKPASS=script, SSH_ASKPASS_REQUIRE="force", DISPLAY=":0", TESTBED_PASSWORD=password)
    return env


def ssh(device, extra, args, stdin_text, env):
    cmd = ["ssh", "-p", str(device["port"]), *COMMON, *extra, f"{device['username']}@{device['host']}", *args]
    done = subprocess.run(
        cmd,
        input=stdin_text.encode() if stdin_text is not None else None,
        stdin=subprocess.DEVNULL if stdin_text is None else None,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def exec_check(device, extra, env):
    def check():
        code, out, err = ssh(device, extra, ["show version"], None, env)
        expect(code == 0, f"exit {code}, stderr {err.strip()!r}, stdout {out[:200]!r}")
        expect("Cisco IOS" in out, f"stdout {out[:200]!r}")
        return f"exit 0, {len(out)} chars"

    return check


def shell_check(device, env):
    def check():
        code, out, err = ssh(device, ["-tt"], [], "terminal length 0\nshow clock\nexit\n", env)
        name = device["name"]
        expect(f"{name}>" in out, f"no {name}> prompt; exit {code}, stderr {err.strip()!r}, stdout {out[:300]!r}")
        expect("show clock" in out, f"no echo of the command: {out[:300]!r}")
        return f"exit {code}, prompt {name}> seen, show clock echoed"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("openssh")
    modern = first(devices, "cisco_ios")
    legacy = first(devices, "cisco_ios", legacy=True)
    with tempfile.TemporaryDirectory() as folder:
        env = askpass_env(modern["password"], folder)
        results.run(f"exec {modern['name']}:{modern['port']}", exec_check(modern, [], env))
        results.run(f"shell -tt {modern['name']}:{modern['port']}", shell_check(modern, env))
        if legacy is None:
            print("SKIP openssh: legacy: no legacy device in the inventory")
        else:
            results.run(f"legacy algorithms exec {legacy['name']}:{legacy['port']}", exec_check(legacy, LEGACY, env))
    results.exit()


if __name__ == "__main__":
    main()
