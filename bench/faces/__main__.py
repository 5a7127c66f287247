"""bench/faces: the face engine's cost at the gateway.

    python -m bench.faces [--templates 100000] [--embeds 30] [--searches 50]

1. Embed time per face: a 640x480 photo (tests/data/media/obama.jpg cropped and scaled, one
   face of ~200 px) through `DlibEmbedder.embed` (HOG detection, quality gate, 5-point
   alignment, ResNet descriptor), one thread, `--embeds` times after one warm-up.
2. Search over `--templates` stored templates (random 128-d vectors with the real one among
   them), encrypted in a real SQLite file as the gateway stores them: the gallery's load
   (decrypting every template once; then kept in memory until a template changes), then
   `faces.store.search` as the API runs it (ranking, candidates, the audited search row
   committed), interleaved query by query with a brute-force numpy baseline (full distance
   vector + argsort, nothing stored). Target: p95 <= 50 ms.
3. Memory: the process's RSS before and after the gallery is loaded.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

from gateway.faces import engine as face_engine
from gateway.faces import store as faces
from gateway.store.db import open_store

MEDIA = Path(__file__).resolve().parents[2] / "tests" / "data" / "media"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def photo_640x480() -> bytes:
    with Image.open(MEDIA / "obama.jpg") as im:
        w = im.width
        crop = im.convert("RGB").crop((0, 0, w, w * 3 // 4)).resize((640, 480))
    buf = io.BytesIO()
    crop.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", type=int, default=100_000)
    ap.add_argument("--embeds", type=int, default=30)
    ap.add_argument("--searches", type=int, default=50)
    args = ap.parse_args()
    proc = psutil.Process()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )

    eng = face_engine.embedder()
    img = photo_640x480()
    face = eng.embed(img)
    times = []
    for _ in range(args.embeds):
        t = time.perf_counter()
        eng.embed(img)
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"embed 640x480 (face {face.box_px} px): p50 {pct(times, 0.5):.1f} ms, "
        f"p95 {pct(times, 0.95):.1f} ms over {args.embeds}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gw.db"
        db = open_store(path)
        key = faces.TemplateKey.beside(path)
        k = key.key()
        rng = np.random.default_rng(7)
        fake = rng.normal(0, 0.09, size=(args.templates, 128)).astype("<f4")  # descriptor-like
        now = faces.now_iso()
        t = time.perf_counter()
        with db.atomic():
            rows = []
            for i in range(args.templates):
                tid = f"T{i:08d}"
                vec = face.vector if i == args.templates // 2 else fake[i].tobytes()
                rows.append(
                    (
                        tid,
                        "person",
                        f"p{i}",
                        f"p{i}",
                        None,
                        eng.model_id,
                        None,
                        key.seal(tid, vec, k),
                        now,
                        "bench",
                    )
                )
            db.conn.executemany(
                "INSERT INTO face_templates (id, kind, subject, person_id, report_id, model_id, "
                "photo_year, blob, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.execute("UPDATE face_state SET v = v + 1")
        print(f"stored {args.templates:,} encrypted templates in {time.perf_counter() - t:.1f} s")
        rss0 = proc.memory_info().rss
        gallery = faces.Gallery(key, face_engine.matrix)
        t = time.perf_counter()
        gallery.load(db, eng.model_id)
        load_s = time.perf_counter() - t
        rss1 = proc.memory_info().rss
        print(
            f"gallery load (decrypt all): {load_s:.2f} s; RSS {rss0 / 2**20:.0f} -> "
            f"{rss1 / 2**20:.0f} MiB (+{(rss1 - rss0) / 2**20:.0f})"
        )

        plain = np.array(gallery.vectors)
        ours, base = [], []
        for i in range(args.searches):
            q = face.vector if i % 2 == 0 else fake[i].tobytes()
            t = time.perf_counter()
            res = faces.search(
                db,
                gallery,
                face_engine.nearest,
                q,
                eng.model_id,
                query_desc={"kind": "bench"},
                query_year=None,
                exclude=set(),
                against={"person", "report"},
                reason="bench",
                by="bench",
                k=10,
            )
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            qv = np.frombuffer(q, dtype="<f4")
            d = np.linalg.norm(plain - qv, axis=1)
            top = np.argsort(d)[:10]
            base.append((time.perf_counter() - t) * 1000)
            if i % 2 == 0:
                assert res.candidates and res.candidates[0].id == f"p{args.templates // 2}"
                assert int(top[0]) == args.templates // 2
        print(
            f"search over {args.templates:,}: faces.store.search p50 {pct(ours, 0.5):.1f} / "
            f"p95 {pct(ours, 0.95):.1f} ms (audited row committed); numpy brute force "
            f"p50 {pct(base, 0.5):.1f} / p95 {pct(base, 0.95):.1f} ms"
        )
        db.conn.close()


if __name__ == "__main__":
    main()
