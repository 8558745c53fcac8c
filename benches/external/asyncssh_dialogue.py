"""The fastest Python async client, for `netrun bench --external`: asyncssh driving the same
interactive dialogue as netrun on every device of $NETRUN_BENCH_INVENTORY (the book's
devices.yaml shape), one asyncio task per device, at most WORKERS sessions at once:

    netrun bench --lab 500 --lab-profile iosv --strategies async \
        --external 'asyncssh=python3 benches/external/asyncssh_dialogue.py 500'

Per device: connect, an interactive shell on a pty, read until the prompt (a regex on the tail
of what arrived, never a sleep), `enable` and the secret when the prompt ends in `>`, `terminal
length 0` and `terminal width 511` (netrun's paging off), the command, read to the prompt, `exit`.
The command is the first of `-c`, $NETRUN_BENCH_COMMAND (netrun bench sets it to the command it
times), `show ip interface brief`. Prints one JSON line per device in inventory order (name, ok,
the command's output as netrun cleans it, error) and exits 1 if any device failed.

Host keys are not checked (the lab's are new every start). uvloop runs the event loop when it is
installed. Needs `pip install asyncssh pyyaml` (uvloop optional).
"""

import argparse
import asyncio
import json
import os
import re
import resource
import sys

import asyncssh
import yaml

DEFAULT_COMMAND = "show ip interface brief"
# A Cisco-style prompt at the very end of what arrived: hostname, then > or #.
PROMPT = re.compile(rb"[\w.\-@/:()]{1,63}[>#]\s*$")
PASSWORD = re.compile(rb"[Pp]assword:\s*$")
PAGING_OFF = ("terminal length 0", "terminal width 511")
# What is scanned for a prompt: the tail only, so a long output costs linear time.
TAIL = 256


class Shell:
    """An interactive shell's bytes, read until a pattern matches their tail."""

    def __init__(self, process, timeout):
        self.process = process
        self.timeout = timeout
        self.buffer = bytearray()

    async def read_until(self, pattern):
        """Everything up to and including the first tail `pattern` matches; the buffer is cleared."""
        while not pattern.search(self.buffer[-TAIL:]):
            chunk = await asyncio.wait_for(self.process.stdout.read(65536), self.timeout)
            if not chunk:
                raise ConnectionError(f"closed while waiting for {pattern.pattern!r}")
            self.buffer += chunk
        received = bytes(self.buffer)
        self.buffer.clear()
        return received

    async def send(self, line, pattern=PROMPT):
        self.process.stdin.write(line.encode() + b"\n")
        return await self.read_until(pattern)


def clean(reply, command):
    """A command's reply as netrun's output: the echo line and the prompt line cut off,
    carriage returns dropped, trailing whitespace trimmed."""
    text = reply.replace(b"\r", b"").decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[0].strip() == command:
        lines = lines[1:]
    body = "\n".join(lines[:-1]) if len(lines) > 1 else ""
    return body.rstrip()


async def dialogue(device, command, timeout):
    async with asyncssh.connect(
        device["host"],
        port=int(device.get("port", 22)),
        username=device["username"],
        password=device["password"],
        known_hosts=None,
        client_keys=None,
        agent_path=None,
        connect_timeout=timeout,
    ) as conn:
        process = await conn.create_process(term_type="vt100", encoding=None)
        shell = Shell(process, timeout)
        prompt = await shell.read_until(PROMPT)
        if prompt.rstrip().endswith(b">"):
            await shell.send("enable", PASSWORD)
            prompt = await shell.send(device.get("secret", ""))
            if not prompt.rstrip().endswith(b"#"):
                raise PermissionError("enable refused")
        for line in PAGING_OFF:
            await shell.send(line)
        output = clean(await shell.send(command), command)
        process.stdin.write(b"exit\n")
        await asyncio.wait_for(process.wait_closed(), timeout)
        return output


async def one(device, command, timeout, slots):
    async with slots:
        try:
            output = await dialogue(device, command, timeout)
            return {"name": device.get("name", device["host"]), "ok": True, "output": output,
                    "error": None}
        except (OSError, asyncssh.Error, asyncio.TimeoutError, PermissionError) as err:
            return {"name": device.get("name", device["host"]), "ok": False, "output": "",
                    "error": f"{type(err).__name__}: {err}"}


async def run(devices, command, workers, timeout):
    slots = asyncio.Semaphore(workers)
    return await asyncio.gather(*(one(d, command, timeout, slots) for d in devices))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workers", nargs="?", type=int, help="sessions at once [every device]")
    parser.add_argument("-w", "--workers", dest="workers_flag", type=int)
    parser.add_argument("-c", "--command")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per read")
    args = parser.parse_args()
    command = args.command or os.environ.get("NETRUN_BENCH_COMMAND") or DEFAULT_COMMAND
    with open(os.environ["NETRUN_BENCH_INVENTORY"]) as f:
        devices = yaml.safe_load(f)
    workers = args.workers_flag or args.workers or len(devices)
    # One socket per session in flight, as netrun raises its own soft limit to the hard one.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    results = run_loop(run(devices, command, max(1, workers), args.timeout))
    out = sys.stdout
    for result in results:
        out.write(json.dumps(result) + "\n")
    out.flush()
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
