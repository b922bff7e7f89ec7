#!/usr/bin/env python3
"""Alarm to the on-duty worker's stream, measured by a client that is not the Swift load tool.

A Python grpcio (asyncio) client puts a worker on duty in each of the first GRIDS grids of a
running, seeded system, opens every worker's `WatchAssignments` stream, then raises alarms in
those grids at RATE a second for WARMUP seconds (not counted: the first alarms after a start pay
for threads and caches once) and then for SECONDS. For each alarm it records two times from the moment
`RaiseAlarm` is sent: until its answer (the write), and until the assignment arrives on the
worker's stream (what the worker waits). Prints both distributions and writes them as JSON.
GetCase load beside it comes from h2load, started separately (scripts/benchmark.sh does both).

    scripts/alarm-latency.py --data DATA --port-offset N [--grids 200 --rate 200 --seconds 15]
        [--json out.json]

Needs Python's grpcio and grpcio-tools (stubs are generated from proto/ into a temporary folder).
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
import uuid

import grpc
import grpc_tools
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parents[1]


def stubs() -> None:
    """Generates the Python stubs of the contracts and puts them on the import path."""
    out = tempfile.mkdtemp(prefix="governance-alarm-stubs-")
    include = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    protos = [str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto" / "governance").rglob("*.proto")]
    if protoc.main(["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}",
                    f"--grpc_python_out={out}", *protos]) != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)


def token(data: pathlib.Path) -> str:
    """An HS256 access token for a city administrator, signed with the system's token key."""
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": "user:alarm-latency", "role": "city_admin", "scope": "",
                              "exp": now + 3600, "iat": now}).encode())
    # The key as the services take it: GOVERNANCE_TOKEN_KEY (base64), else token.key.
    given = os.environ.get("GOVERNANCE_TOKEN_KEY")
    key = base64.b64decode(given) if given else (data / "token.key").read_bytes()
    signature = b64(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, required=True, help="the running system's data directory")
    parser.add_argument("--port-offset", type=int, default=0)
    parser.add_argument("--grids", type=int, default=200, help="grids with a watching worker on duty")
    parser.add_argument("--rate", type=float, default=200, help="alarms a second")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds of alarms at the same rate before the measured ones, not counted")
    parser.add_argument("--json", type=pathlib.Path, help="where to write the figures")
    options = parser.parse_args()

    stubs()
    from google.protobuf.timestamp_pb2 import Timestamp
    from governance.grid.v1 import grid_pb2 as pb, grid_pb2_grpc as rpc

    metadata = [("authorization", f"Bearer {token(options.data)}")]
    address = f"127.0.0.1:{50053 + options.port_offset}"
    # The watchers on connections of their own, 50 streams each, apart from the alarms'.
    control = grpc.aio.insecure_channel(address)
    grid = rpc.GridServiceStub(control)
    codes = [g.grid_code for g in (await grid.ListGrids(
        pb.ListGridsRequest(page_size=min(options.grids, 1000)), metadata=metadata)).grids]
    if not codes:
        sys.exit("the system holds no grids: seed it first (governance seed)")
    now = time.time()
    # The roster replaced is the grid's last day and next six hours: shifts put there before
    # (by the Swift load tool's alarm scenario, by an earlier run) would otherwise come first
    # and take the alarms to workers nobody watches.
    window, start, end = Timestamp(), Timestamp(), Timestamp()
    window.FromSeconds(int(now - 86400))
    start.FromSeconds(int(now - 60))
    end.FromSeconds(int(now + 6 * 3600))
    posts = []
    for code in codes:
        worker = await grid.CreateGridWorker(pb.CreateGridWorkerRequest(
            request_id=f"alarm-latency-worker-{code}",
            worker=pb.GridWorker(name=f"值班网格员{code[-4:]}", phone=f"139{int(code[-8:]):08d}",
                                 kind=pb.GRID_WORKER_KIND_FULL_TIME, grid_codes=[code])), metadata=metadata)
        await grid.SetDutyRoster(pb.SetDutyRosterRequest(
            grid_code=code, window_start=window, window_end=end,
            shifts=[pb.DutyShift(worker_id=worker.id, start_time=start, end_time=end)]), metadata=metadata)
        posts.append((code, worker.id))

    sent: dict = {}
    delivered: list = []
    # (seconds into the storm the alarm was raised, milliseconds to the stream), to see stalls.
    timeline: list = []
    began = 0.0
    answered: list = []
    failures: list = []
    channels = [grpc.aio.insecure_channel(address) for _ in range(0, len(posts), 50)]
    opened = asyncio.Event()
    watching = 0

    async def watch(index: int, worker: str) -> None:
        nonlocal watching
        stub = rpc.GridServiceStub(channels[index // 50])
        call = stub.WatchAssignments(pb.WatchAssignmentsRequest(worker_id=worker), metadata=metadata)
        await call.wait_for_connection()
        watching += 1
        if watching == len(posts):
            opened.set()
        async for assignment in call:
            at = sent.pop(assignment.grid_case.alarm.device_id, None)
            if at is not None:
                delivered.append((time.perf_counter() - at) * 1000)
                timeline.append((round(at - began, 3), round(delivered[-1], 2)))

    watchers = [asyncio.create_task(watch(i, worker)) for i, (_, worker) in enumerate(posts)]
    # Every stream open, or the first watcher that failed says why.
    ready = asyncio.create_task(opened.wait())
    done, _ = await asyncio.wait([ready, *watchers], timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        failed = next((task for task in done if task.exception()), None)
        sys.exit(f"a watcher failed: {failed.exception()!r}" if failed else "the streams did not open in 60 s")

    async def raise_one(code: str, device: str, counted: bool) -> None:
        begun = time.perf_counter()
        if counted:
            sent[device] = begun
        try:
            await grid.RaiseAlarm(pb.RaiseAlarmRequest(
                request_id=device, device_id=device, kind=pb.ALARM_KIND_SMOKE, grid_code=code,
                address="压测楼栋"), metadata=metadata)
            if counted:
                answered.append((time.perf_counter() - begun) * 1000)
        except grpc.aio.AioRpcError as error:
            sent.pop(device, None)
            failures.append(f"{error.code().name}: {error.details()}")

    run = uuid.uuid4().hex[:8]
    interval = 1 / options.rate
    warmup = int(options.rate * options.warmup)
    total = int(options.rate * options.seconds)
    started = time.perf_counter()
    began = started + warmup * interval
    calls = []
    for number in range(warmup + total):
        # Open loop: each alarm at its own time, whether or not the ones before have answered.
        delay = started + number * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        code = posts[number % len(posts)][0]
        calls.append(asyncio.create_task(raise_one(code, f"latency-{run}-{number}", number >= warmup)))
    await asyncio.gather(*calls)
    await asyncio.sleep(1)
    missing = len(sent)
    for task in watchers:
        task.cancel()
    for channel in channels + [control]:
        await channel.close()

    def summary(values: list) -> dict:
        return {"count": len(values), "p50_ms": percentile(values, 0.50), "p90_ms": percentile(values, 0.90),
                "p99_ms": percentile(values, 0.99), "max_ms": max(values, default=float("nan")),
                "mean_ms": statistics.fmean(values) if values else float("nan")}

    result = {"grids": len(posts), "rate": options.rate, "seconds": options.seconds, "warmup": options.warmup,
              "raised": total, "not_delivered": missing, "failed": len(failures), "failures": failures[:5],
              "to_the_stream": summary(delivered), "raise_alarm_answer": summary(answered),
              "timeline": sorted(timeline)}
    for name in ("to_the_stream", "raise_alarm_answer"):
        row = result[name]
        print(f"{name}: {row['count']} alarms, p50 {row['p50_ms']:.1f} ms, p90 {row['p90_ms']:.1f} ms, "
              f"p99 {row['p99_ms']:.1f} ms, max {row['max_ms']:.1f} ms")
    print(f"not delivered {missing}, failed {len(failures)}")
    if options.json:
        options.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
