"""parallel-ssh exec requests against every SSH device of the testbed at once, with both of its
clients (native = ssh2-python/libssh2, ssh = ssh-python/libssh)."""

import sys

from pssh.clients import ParallelSSHClient
from pssh.clients.ssh import ParallelSSHClient as LibsshParallelSSHClient
from pssh.config import HostConfig

from inventory import Results, expect, load


def exec_everywhere(client_class, devices):
    def check():
        hosts = [d["host"] for d in devices]
        configs = [HostConfig(port=d["port"], user=d["username"], password=d["password"]) for d in devices]
        client = client_class(hosts, host_config=configs, num_retries=1, timeout=30)
        output = client.run_command("show version", stop_on_errors=False)
        client.join(output, timeout=60)
        failures = []
        for device, host_out in zip(devices, output):
            if host_out.exception is not None:
                failures.append(f"{device['name']}: {host_out.exception!r}")
                continue
            text = "\n".join(host_out.stdout)
            if "Cisco IOS" not in text:
                failures.append(f"{device['name']}: output {text[:120]!r}")
            elif host_out.exit_code not in (0, None):
                failures.append(f"{device['name']}: exit code {host_out.exit_code}")
        expect(not failures, "; ".join(failures))
        return f"show version on {len(devices)} devices, exit codes {[o.exit_code for o in output]}"

    return check


def main():
    devices = [d for d in load(sys.argv[1:]) if d["device_type"] == "cisco_ios" and not d.get("ssh_legacy")]
    results = Results("parallel-ssh")
    results.run("native client (ssh2-python) run_command", exec_everywhere(ParallelSSHClient, devices))
    results.run("ssh client (ssh-python) run_command", exec_everywhere(LibsshParallelSSHClient, devices))
    results.exit()


if __name__ == "__main__":
    main()
