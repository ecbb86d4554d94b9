#!/usr/bin/env python3
"""berth vs skopeo: push and pull the same images to the same registry (a Release Berth on loopback), in one run.

Two images (make_images.py): "many" (100 layers of 64 KiB-1 MiB) and "large" (one 256 MiB layer). One Berth server
serves the whole run; before measuring, both tools push and pull a warm-up image and a throwaway "many" image through
it, so the server runs JIT-compiled code for either client. Each round makes the images anew from fresh random bytes:
no blob is in the registry before the round, and skopeo's blob-info cache (which would turn its push into a
cross-repository mount) knows none of them. In a round, for each image, one tool pushes it to its own repository and
pulls it back into an empty directory, then the other (the order alternates between rounds, as the second pusher of a
round finds the bytes already stored and skips the final rename). Wall time of the whole command, process start-up
included: what a user waits for. Throughput is the image's bytes over that time; the table shows medians and berth's
throughput divided by skopeo's.

  python3 bench/client/bench.py [--rounds 5] [--work /tmp/berth-bench-client] [--no-build]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env=None, cwd=None):
    started = time.perf_counter()
    result = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(args)}\n{result.stdout}\n{result.stderr}")
    return elapsed


class Server:
    def __init__(self, dll, work):
        self.port = free_port()
        self.data = os.path.join(work, f"registry-{self.port}")
        os.makedirs(self.data)
        self.log = open(os.path.join(work, f"registry-{self.port}.log"), "w")
        self.process = subprocess.Popen(
            ["dotnet", dll, "--urls", f"http://127.0.0.1:{self.port}", "--data-dir", self.data, "--auth", "none"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"Berth did not start; see {self.log.name}")

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def build(work):
    """Release builds, copied aside so that other builds of the tree cannot change them mid-run."""
    bins = {}
    for project, name in (("src/Berth.Server/Berth.Server.csproj", "server"), ("src/Berth.Cli/Berth.Cli.csproj", "cli")):
        out = os.path.join(work, "bin", name)
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(["dotnet", "build", os.path.join(ROOT, project), "-c", "Release", "-nologo", "-v:q", "-o", out],
                       check=True, stdout=subprocess.DEVNULL)
        bins[name] = out
    return bins


def snapshot(work):
    bins = {}
    for source, name in (("src/Berth.Server/bin/Release/net10.0", "server"), ("src/Berth.Cli/bin/Release/net10.0", "cli")):
        out = os.path.join(work, "bin", name)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, source), out)
        bins[name] = out
    return bins


def manifest_digest(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)["manifests"][0]["digest"]


def make_images(directory, *names):
    shutil.rmtree(directory, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "make_images.py"), directory, *names],
                   check=True, stdout=subprocess.DEVNULL)


def layout_bytes(layout):
    blobs = os.path.join(layout, "blobs", "sha256")
    return sum(os.path.getsize(os.path.join(blobs, b)) for b in os.listdir(blobs))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", default="/tmp/berth-bench-client")
    parser.add_argument("--no-build", action="store_true", help="use the existing Release builds under src/*/bin/Release")
    args = parser.parse_args()

    os.makedirs(args.work, exist_ok=True)
    bins = snapshot(args.work) if args.no_build else build(args.work)
    berth = os.path.join(bins["cli"], "berth")
    env = dict(os.environ, HOME=os.path.join(args.work, "home"), DOCKER_CONFIG=os.path.join(args.work, "home", ".docker"))
    os.makedirs(env["HOME"], exist_ok=True)
    tools = {
        "berth": {
            "push": lambda src, dst: [berth, "push", "-q", f"oci:{src}:bench", dst],
            "pull": lambda src, dst: [berth, "pull", "-q", src, f"oci:{dst}:bench"],
        },
        "skopeo": {
            "push": lambda src, dst: ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", f"oci:{src}:bench", f"docker://{dst}"],
            "pull": lambda src, dst: ["skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false", f"docker://{src}", f"oci:{dst}:bench"],
        },
    }

    server = Server(os.path.join(bins["server"], "Berth.Server.dll"), args.work)
    images = os.path.join(args.work, "images")
    pulled = os.path.join(args.work, "pulled")
    times, sizes = {}, {}
    try:
        make_images(images, "warm", "many")
        for name in ("warm", "many"):
            for tool, commands in tools.items():
                remote = f"{server.host}/warmup/{name}-{tool}:v1"
                run(commands["push"](os.path.join(images, name), remote), env)
                run(commands["pull"](remote, pulled), env)
                shutil.rmtree(pulled, ignore_errors=True)
        print(f"registry {server.host} warmed up", flush=True)

        for round_ in range(1, args.rounds + 1):
            make_images(images, "many", "large")
            order = ["berth", "skopeo"] if round_ % 2 else ["skopeo", "berth"]
            for image in ("many", "large"):
                source = os.path.join(images, image)
                sizes[image] = layout_bytes(source)
                expected = manifest_digest(source)
                for tool in order:
                    remote = f"{server.host}/bench/{image}-{tool}-{round_}:v1"
                    push = run(tools[tool]["push"](source, remote), env)
                    pull = run(tools[tool]["pull"](remote, pulled), env)
                    if manifest_digest(pulled) != expected:
                        sys.exit(f"{tool} pulled {manifest_digest(pulled)}, not {expected}")
                    shutil.rmtree(pulled, ignore_errors=True)
                    times.setdefault((image, "push", tool), []).append(push)
                    times.setdefault((image, "pull", tool), []).append(pull)
                    print(f"round {round_} {image:5} {tool:6} push {push:6.2f} s  pull {pull:6.2f} s", flush=True)
    finally:
        server.stop()
        shutil.rmtree(images, ignore_errors=True)

    rows = []
    print()
    print(f"| image | op | berth s (median) | skopeo s (median) | berth MiB/s | skopeo MiB/s | berth ÷ skopeo |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for image in ("many", "large"):
        for op in ("push", "pull"):
            b = statistics.median(times[(image, op, "berth")])
            s = statistics.median(times[(image, op, "skopeo")])
            mib = sizes[image] / (1 << 20)
            rows.append({"image": image, "op": op, "bytes": sizes[image], "berth": times[(image, op, "berth")],
                         "skopeo": times[(image, op, "skopeo")], "ratio": s / b})
            label = f"{image} ({mib:.0f} MiB, {'100 layers' if image == 'many' else '1 layer'})"
            print(f"| {label} | {op} | {b:.2f} | {s:.2f} | {mib / b:.0f} | {mib / s:.0f} | {s / b:.2f}× |")
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"rounds": args.rounds, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
