#!/usr/bin/env python3
"""A TCP relay that holds every chunk a fixed time in each direction: protocol round trips
against the lab on loopback, where `tc netem` is not available.

    benches/delay_relay.py LISTEN_PORT TARGET_PORT ONE_WAY_MS

Listens on 127.0.0.1:LISTEN_PORT and relays each connection to 127.0.0.1:TARGET_PORT; what
either side sends is delivered ONE_WAY_MS later, in order, so each round trip a client waits
for costs 2 x ONE_WAY_MS more than on loopback. The testbed's `wan` profile delays its answers
(greeting, login, each command) instead; this delays every packet, the SSH handshake's
included. Runs until interrupted.
"""

import asyncio
import sys
import time


async def pump(reader, writer, delay):
    """Copy reader to writer, each chunk delivered `delay` seconds after it was read."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    while True:
        data = await reader.read(65536)
        await queue.put((time.monotonic() + delay, data))
        if not data:
            break
    await delivering


async def main(listen_port, target_port, delay):
    async def relay(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(
            pump(client_reader, server_writer, delay),
            pump(server_reader, client_writer, delay),
            return_exceptions=True,
        )

    server = await asyncio.start_server(relay, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    try:
        asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000))
    except KeyboardInterrupt:
        pass
