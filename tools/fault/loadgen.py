"""Load generator for photoqd's socket: C concurrent clients, each opening a
connection per query (as photoq does) and sending search requests for a few
seconds, optionally while I idle clients hold connections open without
sending anything. Prints queries/s, latency percentiles and every failure
by kind. Bounded: every phase ends after its duration plus the client timeout.

    python tools/fault/loadgen.py SOCKET [--levels 1,10,100,200] [--seconds 3] [--idle 64]
"""
import argparse
import asyncio
import json
import random
import struct
import time

QUERIES = ["dog on a beach", "a giraffe near trees", "pizza on a plate", "people skiing", "a red bus",
           "a cat on a sofa", "a plane in the sky", "boats in a harbour", "a man riding a horse", "a bowl of fruit"]


def frame(obj):
    body = json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


async def read_frame(reader):
    header = await reader.readexactly(4)
    (n,) = struct.unpack(">I", header)
    return json.loads(await reader.readexactly(n))


class Tally:
    def __init__(self, clients):
        self.latencies = []
        self.errors = {}
        self.per_client = [0] * clients

    def fail(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def one_query(socket_path, text, k, timeout):
    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(socket_path), timeout)
    try:
        writer.write(frame({"version": 1, "id": 1, "method": "search",
                            "params": {"text": text, "k": k, "filters": {}}}))
        await writer.drain()
        return await asyncio.wait_for(read_frame(reader), timeout)
    finally:
        writer.close()


async def client(i, socket_path, stop_at, tally, k, timeout, pace):
    rng = random.Random(i)
    while time.monotonic() < stop_at:
        # A varied text per query: the daemon embeds each one.
        text = f"{rng.choice(QUERIES)} {rng.randrange(1000)}"
        t0 = time.monotonic()
        try:
            reply = await one_query(socket_path, text, k, timeout)
            if "error" in reply and reply["error"]:
                tally.fail(reply["error"]["code"])
            else:
                tally.latencies.append(time.monotonic() - t0)
                tally.per_client[i] += 1
        except ConnectionResetError:
            tally.fail("connection reset")
        except (asyncio.TimeoutError, TimeoutError):
            tally.fail("client timeout")
        except asyncio.IncompleteReadError:
            tally.fail("closed without reply")
        except OSError as e:
            tally.fail(type(e).__name__)
        if pace:
            await asyncio.sleep(max(0.0, pace - (time.monotonic() - t0)))


async def idle_holder(socket_path, stop_at, held):
    """Keeps one connection open and silent; reconnects when the daemon drops it."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_unix_connection(socket_path)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        held[0] += 1
        try:
            await asyncio.wait_for(reader.read(), max(0.01, stop_at - time.monotonic()))
        except (asyncio.TimeoutError, TimeoutError, OSError):
            pass
        finally:
            held[0] -= 1
            writer.close()


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (0: not measured)."""
    if not pid:
        return 0.0
    import os
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


async def phase(socket_path, clients, seconds, idle, k, timeout, pace, pid):
    stop_at = time.monotonic() + seconds
    held = [0]
    holders = [asyncio.create_task(idle_holder(socket_path, stop_at, held)) for _ in range(idle)]
    if idle:
        await asyncio.sleep(0.5)
    idle_open = held[0]
    tally = Tally(clients)
    cpu0 = cpu_seconds(pid)
    own0 = time.process_time()
    start = time.monotonic()
    await asyncio.gather(*(client(i, socket_path, stop_at + (0.5 if idle else 0), tally, k, timeout, pace)
                           for i in range(clients)))
    elapsed = time.monotonic() - start
    cpu = cpu_seconds(pid) - cpu0
    # The generator shares the cores with photoqd: its own cost bounds the rate too.
    own = time.process_time() - own0
    await asyncio.gather(*holders)
    lat = sorted(tally.latencies)
    errors = ", ".join(f"{n} {kind}" for kind, n in sorted(tally.errors.items())) or "none"
    label = f"{clients:>4} clients" + (f" + {idle} idle ({idle_open} open)" if idle else "") + (f", one query per {pace:g} s each" if pace else "")
    print(f"{label}: {len(lat) / elapsed:7.1f} queries/s, p50 {percentile(lat, 50) * 1000:6.1f} ms, "
          f"p99 {percentile(lat, 99) * 1000:6.1f} ms, max {(lat[-1] if lat else float('nan')) * 1000:6.1f} ms, "
          f"fewest queries by one client {min(tally.per_client)}, errors: {errors}"
          + (f", photoqd CPU {cpu * 1000 / max(1, len(lat)):.1f} ms/query" if pid else "")
          + f", loadgen CPU {own * 1000 / max(1, len(lat)):.1f} ms/query", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--levels", default="1,10,100,200")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--idle", default="0", help="idle connections held during each phase (comma list, 0 = none)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--pace", type=float, default=0, help="seconds between one client's queries (0: back to back)")
    ap.add_argument("--pid", type=int, default=0, help="photoqd's pid, to report its CPU time per query")
    args = ap.parse_args()
    for idle in [int(x) for x in args.idle.split(",")]:
        for level in [int(x) for x in args.levels.split(",")]:
            asyncio.run(phase(args.socket, level, args.seconds, idle, args.k, args.timeout, args.pace, args.pid))


if __name__ == "__main__":
    main()
