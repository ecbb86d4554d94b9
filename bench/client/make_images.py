#!/usr/bin/env python3
"""Builds the benchmark's OCI image layouts from random bytes (nothing is downloaded).

  many/   100 layers, each a gzip'd tar of one random file of 64 KiB to 1 MiB (fixed seed: the same sizes every run)
  large/  one layer, a gzip'd tar of one random 256 MiB file
  warm/   6 small layers (warms the registry up)

Every call writes new random bytes, so an image made for one round is unknown to the registry and to skopeo's
blob-info cache.

Random bytes do not compress, so the bytes on the wire are what the sizes say. Both layouts are tagged "bench".
"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def write_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(name, payload):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        info.mtime = 0
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    return gzip.compress(tar_bytes, compresslevel=1, mtime=0), diff_id


def make(layout, payloads):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    layers, diff_ids = [], []
    for i, payload in enumerate(payloads):
        data, diff_id = layer(f"bench/layer{i}.bin", payload)
        descriptor = write_blob(layout, data)
        descriptor["mediaType"] = MEDIA_LAYER
        layers.append(descriptor)
        diff_ids.append(diff_id)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }, separators=(",", ":")).encode()
    config_descriptor = dict(write_blob(layout, config), mediaType=MEDIA_CONFIG)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": config_descriptor["digest"], "size": config_descriptor["size"]},
        "layers": [{"mediaType": MEDIA_LAYER, "digest": l["digest"], "size": l["size"]} for l in layers],
    }, separators=(",", ":")).encode()
    manifest_descriptor = write_blob(layout, manifest)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{
            "mediaType": MEDIA_MANIFEST, "digest": manifest_descriptor["digest"], "size": manifest_descriptor["size"],
            "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}, f)
    return sum(l["size"] for l in layers) + len(config) + len(manifest)


def main():
    """make_images.py DIR [IMAGE...]: the named images (default: many large warm) under DIR."""
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    wanted = sys.argv[2:] or ["many", "large", "warm"]
    layers = int(os.environ.get("BENCH_LAYERS", "100"))
    large_mib = int(os.environ.get("BENCH_LARGE_MIB", "256"))
    # Layer sizes repeat from run to run; the bytes are new every time (os.urandom), so no registry has them yet.
    rng = random.Random(4)
    sizes = {}
    if "many" in wanted:
        sizes["many"] = make(os.path.join(root, "many"), [os.urandom(rng.randint(64 * 1024, 1024 * 1024)) for _ in range(layers)])
    if "large" in wanted:
        sizes["large"] = make(os.path.join(root, "large"), [os.urandom(large_mib * 1024 * 1024)])
    if "warm" in wanted:
        sizes["warm"] = make(os.path.join(root, "warm"), [os.urandom(rng.randint(1024, 8 * 1024 * 1024)) for _ in range(6)])
    print(json.dumps(sizes))


if __name__ == "__main__":
    main()
