"""Image helpers: decoding photos safely with Pillow, tiling grids, writing PNGs and GIFs."""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# Formats we decode; anything else is refused whatever its file name says.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF")
MAX_IMAGE_PIXELS = 40_000_000  # far above any photo a student takes, far below a bomb
MIN_SIDE = 16
# What one decoded image may take in memory, width x height x bytes per pixel as Pillow holds it (a 25-megapixel
# RGB photo; JPEGs are decoded reduced, so this binds PNG, TIFF and friends). A 16-bit or float image is 2-4 times
# its pixel count: the pixel cap alone does not bound it.
MAX_DECODED_BYTES = 100_000_000
# Pillow keeps these modes at one or two bytes a pixel; every other mode (RGB included) at four. Palette images are
# counted at four: they become RGB(A) before anything else.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# One image decodes at a time in the whole server: memory for decoding is bounded by one image, however many
# students upload at once.
DECODE_LOCK = threading.RLock()


# Pillow only warns between its limit and twice it; we refuse (process-wide, set once: filters are global).
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)


class ImageRejected(Exception):
    """A file that cannot become a training image; `reason` is a translation key suffix."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def decode_image(data: bytes, size: int, channels: int) -> np.ndarray:
    """Decode encoded bytes to a (size, size, channels) uint8 array: EXIF-rotated,
    alpha composited on white, centre-cropped to a square and resized."""
    if not data:
        raise ImageRejected("corrupt", "empty file")
    try:
        with DECODE_LOCK, Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise ImageRejected("too_many_pixels", f"{img.width}x{img.height}")
            if min(img.width, img.height) < MIN_SIDE:
                raise ImageRejected("too_small", f"{img.width}x{img.height}")
            if img.format == "JPEG":
                img.draft("RGB" if channels == 3 else "L", (size * 2, size * 2))
            decoded_bytes = img.width * img.height * _BYTES_PER_PIXEL.get(img.mode, 4)
            if decoded_bytes > MAX_DECODED_BYTES:  # from the header: nothing decoded yet
                raise ImageRejected("too_many_pixels", f"{img.width}x{img.height} {img.mode}")
            img.load()
            img = shrink(img, size * 2)  # before any copy: rotating and converting then work on a small image
            img = ImageOps.exif_transpose(img)
            img = to_mode(img, channels)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("too_many_pixels", str(exc)) from None
    except Image.UnidentifiedImageError:
        raise ImageRejected("not_an_image") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected("corrupt", str(exc)[:120]) from None
    img = ImageOps.fit(img, (size, size), method=Image.Resampling.LANCZOS)
    array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return array


def shrink(img: Image.Image, shortest: int) -> Image.Image:
    """Reduce by a whole factor while the shorter side stays at least `shortest` (box filter; nearest for palette and
    1-bit images, whose values cannot be averaged). The image keeps its mode; small images are returned as they are."""
    factor = min(img.width, img.height) // max(shortest, 1)
    if factor < 2:
        return img
    method = Image.Resampling.NEAREST if img.mode in ("P", "PA", "1") else Image.Resampling.BOX
    return img.resize((img.width // factor, img.height // factor), method)


def to_mode(img: Image.Image, channels: int) -> Image.Image:
    """Any Pillow mode to RGB (channels=3) or L (channels=1), keeping what a person sees."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit grey: scale by hand, convert() would clip to 255. float32: the image is small by now.
        values = np.asarray(img, dtype=np.float32)
        peak = values.max() or 1.0
        img = Image.fromarray((values / peak * 255.0).astype(np.uint8), mode="L")
    elif img.mode == "F":
        values = np.asarray(img, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / ((high - low) or 1.0) * 255.0
        img = Image.fromarray(scaled.astype(np.uint8), mode="L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode == "CMYK":
        img = img.convert("RGB")
    return img.convert("RGB" if channels == 3 else "L")


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] (float) to uint8 [0, 255]."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) * 127.5, 0, 255).round().astype(np.uint8)


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile (n, h, w, c) uint8 images into one (H, W, c) uint8 image with padding lines."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * (h + padding) + padding, columns * (w + padding) + padding, c), 255, np.uint8)
    for index in range(n):
        row, col = divmod(index, columns)
        top, left = padding + row * (h + padding), padding + col * (w + padding)
        grid[top:top + h, left:left + w] = images[index]
    return grid


def grid_cells(grid: np.ndarray, count: int, side: int, columns: int, padding: int = 2) -> np.ndarray:
    """The first `count` images (count, side, side, c) of a grid make_grid tiled: the inverse of make_grid."""
    cells = []
    for index in range(count):
        row, col = divmod(index, columns)
        top, left = padding + row * (side + padding), padding + col * (side + padding)
        cells.append(grid[top:top + side, left:left + side])
    return np.stack(cells)


def read_grid(path: Path, count: int, side: int, channels: int, columns: int) -> np.ndarray:
    """The images of a grid PNG save_png wrote (enlarged by grid_scale(side)), as (count, side, side, channels)
    uint8."""
    with Image.open(path) as img:
        array = np.asarray(img.convert("RGB" if channels == 3 else "L"))
    scale = grid_scale(side)
    array = array[::scale, ::scale]
    return grid_cells(array.reshape(array.shape[0], array.shape[1], channels), count, side, columns)


def to_pil(array: np.ndarray, scale: int = 1) -> Image.Image:
    """A (H, W, 1|3) uint8 array as a Pillow image, optionally enlarged with nearest pixels."""
    array = np.asarray(array)
    img = Image.fromarray(array[:, :, 0] if array.shape[-1] == 1 else array)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    return img


def grid_scale(side: int) -> int:
    """How much a grid of `side`-pixel images is enlarged for people: 2 for 32 px or less, else 1."""
    return 2 if side <= 32 else 1


def save_png(array: np.ndarray, path: Path, scale: int = 1) -> None:
    """Write atomically, so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_suffix(".tmp.png")
    to_pil(array, scale).save(tmp, format="PNG")
    tmp.replace(path)


def png_bytes(array: np.ndarray, scale: int = 1) -> bytes:
    buffer = io.BytesIO()
    to_pil(array, scale).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 300, scale: int = 1, labels: list[str] | None = None) -> bytes:
    """An animated GIF (looping) from (H, W, c) uint8 frames."""
    from PIL import ImageDraw

    pil_frames = []
    for index, frame in enumerate(frames):
        img = to_pil(frame, scale).convert("RGB")
        if labels:
            draw = ImageDraw.Draw(img)
            draw.rectangle((0, 0, 8 * len(labels[index]) + 6, 14), fill=(0, 0, 0))
            draw.text((3, 1), labels[index], fill=(255, 255, 255))
        pil_frames.append(img)
    buffer = io.BytesIO()
    pil_frames[0].save(buffer, format="GIF", save_all=True, append_images=pil_frames[1:],
                       duration=duration_ms, loop=0)
    return buffer.getvalue()
