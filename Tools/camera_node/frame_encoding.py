"""Turns a source frame into CameraFrame payload bytes: resize to the requested size, then
JPEG (baseline, via OpenCV when installed, else Pillow) or raw RGB8 (row-major HWC)."""

import io
from typing import Optional

import numpy as np

try:
    import cv2  # optional: faster resize and JPEG
except ImportError:  # Pillow does both when OpenCV is absent
    cv2 = None

from PIL import Image

from pldproto import pld_sensors_pb2

JPEG = pld_sensors_pb2.CameraFrame.ENCODING_JPEG
RGB8 = pld_sensors_pb2.CameraFrame.ENCODING_RGB8
ENCODINGS = {"jpeg": JPEG, "rgb8": RGB8}


class FrameEncoder:
    def __init__(self, width: int, height: int, encoding: str, jpeg_quality: int, backend: Optional[str] = None) -> None:
        self.width, self.height = width, height
        self.encoding = ENCODINGS[encoding]
        self.jpeg_quality = jpeg_quality
        self.backend = backend or ("opencv" if cv2 is not None else "pillow")
        if self.backend == "opencv" and cv2 is None:
            raise ValueError("OpenCV is not installed")

    def resize(self, rgb: np.ndarray) -> np.ndarray:
        if rgb.shape[0] == self.height and rgb.shape[1] == self.width:
            return rgb
        if self.backend == "opencv":
            return cv2.resize(rgb, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return np.asarray(Image.fromarray(rgb).resize((self.width, self.height), Image.BILINEAR))

    def encode(self, rgb: np.ndarray) -> bytes:
        rgb = np.ascontiguousarray(self.resize(rgb), dtype=np.uint8)
        if self.encoding == RGB8:
            return rgb.tobytes()
        if self.backend == "opencv":
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            if not ok:
                raise RuntimeError("OpenCV JPEG encoding failed")
            return buf.tobytes()
        out = io.BytesIO()
        Image.fromarray(rgb).save(out, format="JPEG", quality=self.jpeg_quality)
        return out.getvalue()
