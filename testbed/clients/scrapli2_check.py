"""scrapli 2 (libscrapli) with its `cisco_iosxe` definition against the testbed over its default (system ssh) and
telnet transports: open (login, enable), send_input("show version"), close."""

import sys

from scrapli import AuthOptions, Cli, LookupKeyValue, TransportTelnetOptions

from inventory import Results, expect, first, load


def dialogue(device, telnet):
    def check():
        kwargs = {}
        if telnet:
            kwargs["transport_options"] = TransportTelnetOptions()
        cli = Cli(
            device["host"],
            port=device["port"],
            definition_file_or_name="cisco_iosxe",
            auth_options=AuthOptions(
                username=device["username"], password=device["password"],
                lookups=[LookupKeyValue(key="enable", value=device["secret"])],
            ),
            **kwargs,
        )
        with cli as conn:
            result = conn.send_input("show version")
            expect("Cisco IOS" in result.result, f"show version: {result.result[:200]!r}")
            prompt = conn.get_prompt().result
        return f"prompt {prompt}, show version {len(result.result)} chars"

    return check


def main():
    devices = load(sys.argv[1:])
    results = Results("scrapli2")
    ssh = first(devices, "cisco_ios")
    results.run(f"cisco_iosxe ssh {ssh['name']}:{ssh['port']}", dialogue(ssh, False))
    telnet = first(devices, "cisco_ios_telnet")
    if telnet is not None:
        results.run(f"cisco_iosxe telnet {telnet['name']}:{telnet['port']}", dialogue(telnet, True))
    results.exit()


if __name__ == "__main__":
    main()
