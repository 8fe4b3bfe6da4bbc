"""A 1 GiB video through the worker: peak memory while moving it, and upload throughput vs curl.

Generates an MP4-like file (a valid ``ftyp`` box, then filler) in a temporary directory (deleted
at the end, never committed), serves it from a stdlib HTTP server with a Content-Length
(``python -m http.server``, its own process), and runs the local Pinterest sandbox in another
process (media processing done at once, uploads parsed as they arrive).

(a) Memory: a fresh worker subprocess builds the production :class:`~queues.runtime.Runtime`,
    publishes a small warm-up video, records its idle peak RSS (``ru_maxrss``), then publishes a
    video Pin of the big file through the publisher (SSRF-safe streamed fetch to a temporary
    file, ``POST /media``, streamed multipart upload, processing check, ``POST /pins``) and then
    uploads the file ``--rounds`` more times. Target: peak RSS within 64 MiB of the idle RSS.
(b) Throughput: the worker's upload step (``api.media.upload`` from the file, as the publisher
    calls it) against ``curl`` posting the same file to the same endpoint as the same multipart
    form (``curl --form-string ... -F file=@...``), median of ``--rounds`` each.
    Target: ours >= 0.8x curl.

Prints each figure with its target and exits 1 when one is missed.

    python benchmarks/video_upload.py [--size-mib 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

REDIS_URL = "redis://127.0.0.1:6379/0"
MiB = 1024 * 1024
RSS_TARGET_MIB = 64.0
THROUGHPUT_TARGET = 0.8
FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"


def make_video(path: Path, size: int) -> None:
    """Write *size* bytes (``ftyp`` box, then filler) in 8 MiB blocks."""
    block = b"".join(hashlib.sha256(f"filler-{i}".encode()).digest() for i in range(8 * MiB // 32))
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = (FTYP + block[len(FTYP):]) if written == 0 else block
            chunk = chunk[: size - written]
            out.write(chunk)
            written += len(chunk)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve_sandbox(ready: Any) -> None:
    from pinterest_agent.providers.sandbox.server import SandboxServer

    server = SandboxServer(https=True, media_polls=0)
    ready.put({"base_url": server.base_url, "api_base": server.api_base,
               "https_base_url": server.https_base_url, "ca_file": str(server.ca_file)})
    server.serve_forever()


def rss_mib() -> float:
    """This process's peak resident set size (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the measured worker (a fresh subprocess) -----------------------------------------------------


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Build the production runtime, warm up, then move the big file; report RSS and timings."""
    import redis
    from pydantic import SecretStr

    from pinterest_agent.agents.messages import SocialPost
    from pinterest_agent.agents.ports import ChannelCredentials
    from pinterest_agent.queues.runtime import Runtime
    from pinterest_agent.queues.settings import Settings
    from pinterest_agent.queues.stores.secrets import SecretBox

    prefix = spec["prefix"]
    settings = Settings(
        redis_url=REDIS_URL, key_prefix=prefix, events_stream=f"{prefix}:events",
        secret_key=SecretStr(SecretBox.generate_key()),
        pinterest_api_base=spec["api_base"], allow_loopback_urls=True,
        preflight_ca_file=Path(spec["ca_file"]), video_tmp_dir=Path(spec["spool_dir"]),
        pinterest_timeout_s=60.0,
    )
    runtime = Runtime.build(settings, redis_client=redis.Redis.from_url(REDIS_URL))
    seeded = spec["seeded"]
    runtime.store.credentials.put(ChannelCredentials(
        channel_id="bench", access_token=SecretStr(seeded["access_token"]),
        expires_at=time.time() + 30 * 86400, default_board_id=seeded["board_id"],
    ))
    publisher = runtime.publishers["pinterest"]

    def post(post_id: str, url: str) -> SocialPost:
        return SocialPost.model_validate({
            "schema_version": 1, "post_id": post_id, "platform": "pinterest",
            "channel_id": "bench", "title": "A big video",
            "link": f"{spec['https_base_url']}/_sandbox/pages/video",
            "media": {"type": "video", "url": url},
        })

    # Warm up: every module and connection pool the big publish uses, on a small video.
    publisher.publish(post("warm-up", f"{spec['base_url']}/_sandbox/videos/warm.mp4"))
    idle = rss_mib()

    started = time.perf_counter()
    result = publisher.publish(post("big", spec["video_url"]))
    end_to_end_s = time.perf_counter() - started

    api = runtime.pinterest_api(seeded["access_token"])
    upload_s = []
    for _ in range(spec["rounds"]):
        upload = api.media.register_video()
        started = time.perf_counter()
        api.media.upload(upload, Path(spec["video_path"]), "video.mp4")
        upload_s.append(time.perf_counter() - started)
    left_behind = os.listdir(spec["spool_dir"])
    runtime.close()
    return {"idle_mib": idle, "peak_mib": rss_mib(), "end_to_end_s": end_to_end_s,
            "upload_s": upload_s, "pin_id": result.pin_id, "left_behind": left_behind}


# -- the orchestrator -----------------------------------------------------------------------------


def curl_upload(api_base: str, token: str, video: Path) -> float:
    """Register an upload, then time curl posting the same form to it."""
    registered = httpx.post(f"{api_base}/media", json={"media_type": "video"},
                            headers={"Authorization": f"Bearer {token}"})
    registered.raise_for_status()
    media = registered.json()
    form: list[str] = []
    for name, value in media["upload_parameters"].items():
        form += ["--form-string", f"{name}={value}"]
    command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:", *form,
               "-F", f"file=@{video};type=video/mp4;filename=video.mp4", media["upload_url"]]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    if done.stdout.strip() != "204":
        raise SystemExit(f"curl's upload was refused: HTTP {done.stdout.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # the measured subprocess
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for the comparison (apt-get install curl)")

    work = Path(tempfile.mkdtemp(prefix="video-upload-bench-"))
    files, spool = work / "files", work / "spool"
    files.mkdir()
    spool.mkdir()
    size = args.size_mib * MiB
    ctx = multiprocessing.get_context("spawn")
    ready: Any = ctx.Queue()
    sandbox = ctx.Process(target=_serve_sandbox, args=(ready,), daemon=True)
    file_server: subprocess.Popen[bytes] | None = None
    prefix = f"bench-video-{uuid.uuid4().hex[:8]}"
    try:
        video = files / "video.mp4"
        print(f"generating a {args.size_mib} MiB MP4-like file in {work} ...", flush=True)
        make_video(video, size)
        port = free_port()
        file_server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", str(files)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sandbox.start()
        urls = ready.get(timeout=60)
        _wait_for_port(port)
        seeded = httpx.post(f"{urls['base_url']}/_sandbox/seed",
                            json={"username": "video_bench"}).json()

        curl_s = [curl_upload(urls["api_base"], seeded["access_token"], video)
                  for _ in range(args.rounds)]
        spec = {**urls, "prefix": prefix, "seeded": seeded, "rounds": args.rounds,
                "video_url": f"http://127.0.0.1:{port}/video.mp4", "video_path": str(video),
                "spool_dir": str(spool)}
        measured = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(spec)],
            capture_output=True, text=True, check=False,
        )
        if measured.returncode != 0:
            print(measured.stderr[-4000:], file=sys.stderr)
            raise SystemExit("the worker subprocess failed")
        result = json.loads(measured.stdout.strip().splitlines()[-1])
    finally:
        if file_server is not None:
            file_server.terminate()
            file_server.wait(10)
        if sandbox.is_alive():
            sandbox.terminate()
            sandbox.join(5)
        shutil.rmtree(work, ignore_errors=True)
        _delete_keys(prefix)

    growth = result["peak_mib"] - result["idle_mib"]
    ours_s = statistics.median(result["upload_s"])
    theirs_s = statistics.median(curl_s)
    ratio = theirs_s / ours_s
    mib = args.size_mib
    rss_ok = growth <= RSS_TARGET_MIB
    speed_ok = ratio >= THROUGHPUT_TARGET
    print(f"file: {mib} MiB, {args.rounds} rounds; video Pin {result['pin_id']}; "
          f"temporary files left: {len(result['left_behind'])}")
    print(f"(a) worker peak RSS {result['peak_mib']:.1f} MiB vs idle {result['idle_mib']:.1f} "
          f"MiB: +{growth:.1f} MiB  (target <= +{RSS_TARGET_MIB:.0f} MiB)  "
          f"{'ok' if rss_ok else 'MISSED'}")
    print(f"    publish end to end (fetch + upload + Pin): {result['end_to_end_s']:.2f} s, "
          f"{mib / result['end_to_end_s']:.0f} MiB/s")
    print(f"(b) upload: ours {mib / ours_s:.0f} MiB/s ({ours_s:.2f} s), curl {mib / theirs_s:.0f} "
          f"MiB/s ({theirs_s:.2f} s): {ratio:.2f}x curl  (target >= {THROUGHPUT_TARGET}x)  "
          f"{'ok' if speed_ok else 'MISSED'}")
    missed = not (rss_ok and speed_ok) or bool(result["left_behind"])
    return 1 if missed else 0


def _wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the file server did not start on port {port}")


def _delete_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    sys.exit(main())
