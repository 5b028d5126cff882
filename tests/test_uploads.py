"""Hostile and messy uploads, each built on the fly: a clear message, nothing else changed, nothing written outside."""

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_core import GanError
from gan_core.data import datasets, uploads
from gan_core.i18n import tr
from gan_core.server import model_uploads

BIRDS = sorted((datasets.data_dir() / "birds").glob("*.jpg"))
PROJECT = Path(__file__).resolve().parents[1]


def bird(index=0) -> bytes:
    return BIRDS[index].read_bytes()


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buffer.getvalue()


def eight_birds(prefix="") -> dict[str, bytes]:
    return {f"{prefix}bird_{i}.jpg": bird(i) for i in range(8)}


@pytest.fixture
def session_dir(tmp_path):
    """The session's own directory; the test asserts nothing appears anywhere else."""
    session = tmp_path / "session"
    session.mkdir()
    outside_before = _files_outside(tmp_path, session)
    yield session
    assert _files_outside(tmp_path, session) == outside_before, "a file appeared outside the session directory"


def _files_outside(tmp_path, session):
    project_files = {p for p in PROJECT.rglob("*") if ".git" not in p.parts and "__pycache__" not in p.parts
                     and ".pytest_cache" not in p.parts and "test-artifacts" not in p.parts}
    tmp_files = {p for p in tmp_path.rglob("*") if session not in p.parents and p != session}
    return project_files | tmp_files


def reasons(result) -> dict[str, str]:
    return dict(result.skipped)


def test_happy_zip_of_real_birds_with_class_folders(session_dir):
    members = {**eight_birds("photos/eagle/"), **{f"photos/owl/{i}.jpg": bird(10 + i) for i in range(4)}}
    result = uploads.read_photo_upload([("photos.zip", zip_of(members))], size=64)
    assert result.dataset.images.shape == (12, 64, 64, 3)
    assert result.dataset.class_names == ("eagle", "owl") and result.skipped == []


def test_many_loose_files_become_one_unlabelled_set(session_dir):
    files = [(p.name, p.read_bytes()) for p in BIRDS[:20]]
    result = uploads.read_photo_upload(files, size=32)
    assert result.dataset.images.shape == (20, 32, 32, 3) and result.dataset.labels is None


def test_paths_with_dotdot_or_absolute_are_skipped_never_written(session_dir):
    members = {**eight_birds(), "../../evil.jpg": bird(9), "/etc/evil.jpg": bird(9), "C:/evil.jpg": bird(9)}
    result = uploads.read_photo_upload([("x.zip", zip_of(members))])
    assert result.count == 8
    assert {reason for name, reason in result.skipped} == {"unsafe_path"} and len(result.skipped) == 3
    assert tr("skip.unsafe_path", "es") != tr("skip.unsafe_path", "en")


def test_symlinks_inside_archives_are_skipped(session_dir):
    result = uploads.read_photo_upload([("x.zip", zip_of(eight_birds(), symlinks={"link.jpg": "/etc/passwd"}))])
    assert reasons(result) == {"link.jpg": "symlink"} and result.count == 8


def test_zip_bomb_member_is_refused_by_its_ratio(session_dir):
    members = {**eight_birds(), "bomb.jpg": b"\0" * 5_000_000}  # deflates about 1000:1
    result = uploads.read_photo_upload([("x.zip", zip_of(members))])
    assert reasons(result) == {"bomb.jpg": "bomb"} and result.count == 8


def test_zip_bomb_total_is_refused_before_reading(session_dir, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_ARCHIVE_TOTAL_BYTES", 3_000_000)
    members = {**eight_birds(), **{f"pad{i}.bin": b"\0" * 1_000_000 for i in range(3)}}
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([("x.zip", zip_of(members))])
    assert caught.value.message.key == "error.upload_bomb"
    assert "bomba zip" in caught.value.text("es") and "zip bomb" in caught.value.text("en")


def test_a_lying_size_header_cannot_make_us_read_more(session_dir):
    data = bytearray(zip_of({**eight_birds(), "big.png": encode(Image.new("RGB", (400, 400), "red"), "PNG")}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("big.png")
    # Forge the central directory: claim the member is 10 bytes long.
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"big.png"))
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    result = uploads.read_photo_upload([("x.zip", bytes(data))])
    assert result.count == 8 and reasons(result)["big.png"] in ("too_large", "corrupt", "bomb")
    assert info.file_size > 10


def test_decompression_bomb_image_is_an_error_not_a_warning(session_dir):
    bomb = encode(Image.new("1", (10_000, 10_000)), "PNG")  # 100 megapixels, a few kB
    result = uploads.read_photo_upload([*eight_birds().items(), ("huge.png", bomb)])
    assert reasons(result) == {"huge.png": "too_many_pixels"} and result.count == 8


def test_truncated_and_corrupt_images(session_dir):
    files = [*eight_birds().items(), ("half.jpg", bird(20)[: len(bird(20)) // 2]), ("zero.jpg", b""),
             ("noise.png", b"\x89PNG\r\n\x1a\n" + os.urandom(300))]
    result = uploads.read_photo_upload(files)
    assert set(reasons(result)) == {"half.jpg", "zero.jpg", "noise.png"}
    assert set(reasons(result).values()) <= {"corrupt", "not_an_image"}
    assert result.count == 8


def test_non_images_with_image_names_and_other_files(session_dir):
    files = [*eight_birds().items(), ("notes.jpg", b"just some text, not a photo"), ("run.exe", b"MZ\x90\x00"),
             ("model.pkl", b"\x80\x04\x95")]
    result = uploads.read_photo_upload(files)
    assert reasons(result) == {"notes.jpg": "not_an_image", "run.exe": "not_an_image", "model.pkl": "not_an_image"}


def test_images_whose_extension_lies_are_read_by_content(session_dir):
    red = Image.new("RGB", (40, 40), (255, 0, 0))
    files = [*eight_birds().items(), ("really_a_gif.jpg", encode(red.convert("P"), "GIF")),
             ("really_a_png.jpg", encode(red, "PNG"))]
    result = uploads.read_photo_upload(files)
    assert result.count == 10 and result.skipped == []
    np.testing.assert_array_equal(result.dataset.images[-1][16, 16], [255, 0, 0])


def test_odd_modes_become_what_a_person_sees(session_dir):
    transparent_red = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    grey16 = Image.fromarray(np.full((40, 40), 65535, np.uint16))
    palette = Image.new("RGB", (40, 40), (0, 0, 255)).convert("P")
    files = [*eight_birds().items(),
             ("alpha.png", encode(transparent_red, "PNG")),            # fully transparent: white background
             ("la.png", encode(Image.new("LA", (40, 40), (0, 255)), "PNG")),
             ("cmyk.jpg", encode(Image.new("CMYK", (40, 40), (0, 0, 0, 0)), "JPEG")),
             ("grey16.png", encode(grey16, "PNG")),                    # 16-bit white stays white, not clipped
             ("palette.png", encode(palette, "PNG")),
             ("one_bit.png", encode(Image.new("1", (40, 40), 1), "PNG"))]
    result = uploads.read_photo_upload(files)
    assert result.skipped == [] and result.count == 14
    centre = {name: result.dataset.images[8 + i][16, 16].tolist()
              for i, name in enumerate(["alpha", "la", "cmyk", "grey16", "palette", "one_bit"])}
    assert centre["alpha"] == [255, 255, 255] and centre["la"] == [0, 0, 0]
    assert centre["grey16"] == [255, 255, 255] and centre["one_bit"] == [255, 255, 255]
    assert centre["palette"] == [0, 0, 255] and min(centre["cmyk"]) > 240


def test_exif_rotation_is_applied(session_dir):
    wide = np.zeros((40, 80, 3), np.uint8)
    wide[:, 40:] = 255  # left black, right white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    rotated = encode(Image.fromarray(wide), "JPEG", exif=exif.tobytes(), quality=95)
    result = uploads.read_photo_upload([*eight_birds().items(), ("rotated.jpg", rotated)], size=32)
    image = result.dataset.images[-1].astype(int)
    # Displayed upright it is tall: black on top, white below (crop keeps the middle).
    assert image[2, 16].mean() < 60 and image[29, 16].mean() > 200


def test_images_too_small_are_skipped(session_dir):
    result = uploads.read_photo_upload([*eight_birds().items(), ("tiny.png", encode(Image.new("RGB", (8, 8)), "PNG"))])
    assert reasons(result) == {"tiny.png": "too_small"}


def test_too_many_files(session_dir, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_FILES", 10)
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([(f"{i}.jpg", bird(i)) for i in range(11)])
    assert caught.value.message.key == "error.upload_too_many_files"
    monkeypatch.setattr(datasets, "MAX_PHOTOS", 9)
    result = uploads.read_photo_upload([("x.zip", zip_of({f"{i}.jpg": bird(i) for i in range(11)}))])
    assert result.count == 9 and list(reasons(result).values()) == ["too_many_files", "too_many_files"]


def test_empty_uploads_and_uploads_without_images(session_dir):
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([])
    assert caught.value.message.key == "error.upload_empty"
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([("x.zip", zip_of({"readme.txt": b"hello"}))])
    assert caught.value.message.key == "error.upload_no_images"
    assert "readme" not in caught.value.text("es")  # the count, not the file list, is in the message
    assert caught.value.details == [("readme.txt", "not_an_image")]  # the list is there for the page
    with pytest.raises(GanError):
        uploads.read_photo_upload([("x.zip", b"PK\x03\x04 this is not really a zip")])


def test_duplicate_long_and_non_ascii_names(session_dir):
    long_name = "á" * 300 + ".jpg"
    files = [("águila.jpg", bird(0)), ("águila.jpg", bird(1)), (long_name, bird(2)), ("a\x00b\n.jpg", b"junk"),
             *[(f"ñ{i}.jpg", bird(3 + i)) for i in range(6)]]
    result = uploads.read_photo_upload(files)
    assert result.count == 9
    [(shown, reason)] = result.skipped
    assert reason == "not_an_image" and "\x00" not in shown and "\n" not in shown
    assert len(uploads.display_name(long_name)) <= uploads.MAX_NAME_CHARS


def test_nested_folders_take_the_top_folder_as_class(session_dir):
    members = {**{f"top/eagle/2020/{i}.jpg": bird(i) for i in range(5)},
               **{f"top/owl/{i}.jpg": bird(10 + i) for i in range(5)}}
    result = uploads.read_photo_upload([("x.zip", zip_of(members))])
    assert result.dataset.class_names == ("eagle", "owl")
    assert np.bincount(result.dataset.labels).tolist() == [5, 5]


# --- model files -------------------------------------------------------------------------------

def small_generator(latent=8, with_lambda=False):
    import keras

    z = keras.Input((latent,))
    x = keras.layers.Dense(7 * 7)(z)
    if with_lambda:
        x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    x = keras.layers.Reshape((7, 7, 1))(x)
    x = keras.layers.UpSampling2D(4)(x)
    return keras.Model(z, keras.layers.Activation("tanh")(x))


def saved_bytes(model, tmp_path) -> bytes:
    path = tmp_path / "model.keras"
    model.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize("case", ["lambda", "pickle", "extra_member", "not_keras_name", "wrong_shape",
                                  pytest.param("forged_weights", marks=pytest.mark.slow)])
def test_dangerous_or_broken_model_files_are_refused(case, session_dir, tmp_path):
    import keras

    name = "upload.keras"
    if case == "lambda":
        data = saved_bytes(small_generator(with_lambda=True), tmp_path)
    elif case == "pickle":
        import pickle

        data = pickle.dumps({"harmless": "looking"})
    elif case == "extra_member":
        clean = saved_bytes(small_generator(), tmp_path)
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(clean)) as source, zipfile.ZipFile(buffer, "w") as target:
            for info in source.infolist():
                target.writestr(info, source.read(info))
            target.writestr("payload.pkl", b"\x80\x04")
        data = buffer.getvalue()
    elif case == "not_keras_name":
        name, data = "model.h5", saved_bytes(small_generator(), tmp_path)
    elif case == "wrong_shape":
        z = keras.Input((8,))
        data = saved_bytes(keras.Model(z, keras.layers.Dense(10)(z)), tmp_path)
    else:  # forged_weights: a real config with weights from a different model
        clean, other = saved_bytes(small_generator(), tmp_path), saved_bytes(small_generator(latent=16), tmp_path)
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(clean)) as source, zipfile.ZipFile(io.BytesIO(other)) as donor, \
                zipfile.ZipFile(buffer, "w") as target:
            target.writestr("config.json", source.read("config.json"))
            target.writestr("metadata.json", source.read("metadata.json"))
            target.writestr("model.weights.h5", donor.read("model.weights.h5"))
        data = buffer.getvalue()
    with pytest.raises(GanError) as caught:
        model_uploads.save_model_upload(name, data, session_dir)
    assert caught.value.message.key.startswith("error.model_file")  # one key per reason, all in that family
    assert caught.value.text("es").startswith("El archivo de modelo no es válido")
    assert caught.value.text("en").startswith("The model file is not valid")
    if case == "lambda":
        assert "Lambda" in caught.value.text("en")
    assert not list(session_dir.rglob("*.keras")), "a refused file is not kept"


def test_oversized_model_upload_is_refused_before_writing(session_dir, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_MODEL_UPLOAD_BYTES", 1000)
    with pytest.raises(GanError):
        model_uploads.save_model_upload("big.keras", b"PK" + b"\0" * 2000, session_dir)
    assert not any(session_dir.rglob("*"))


# --- hostile cases measured: peak memory of the process doing the work, in a child process ----------------

from memory_support import peak_in_child  # noqa: E402

CHILD_SETUP = """
import sys; sys.path.insert(0, 'tests')
import hostile
from gan_core import GanError
from gan_core.data import datasets, uploads
from gan_core.server import model_uploads
def attempt(files):
    try:
        result = uploads.read_photo_upload(files)
        return {'count': result.count, 'skipped': [list(item) for item in result.skipped]}
    except GanError as exc:
        return {'key': exc.message.key, 'es': exc.text('es'), 'en': exc.text('en')}
"""


@pytest.mark.slow
def test_several_zips_in_one_upload_share_one_budget_and_are_read_one_member_at_a_time(session_dir):
    # Four zips of 300 members of 190 kB each (about 2 MB zipped, 228 MB unpacked). Main held every member's bytes
    # at once (4 zips of 5.7 MB took 763 MB). Read one at a time they cost a few MB; with a budget of 150 MB for
    # the whole upload, the four together are refused although each alone (57 MB) is well under it.
    measured = peak_in_child(CHILD_SETUP + """
files = [(f'z{i}.zip', hostile.padded_zip(300, 190_000, f'z{i}/')) for i in range(4)]
""", """
streamed = attempt(files)
datasets.MAX_ARCHIVE_TOTAL_BYTES = 150_000_000
result = {'streamed': streamed, 'budget': attempt(files), 'alone': attempt(files[:1])}
""")
    result = measured["result"]
    assert result["streamed"]["key"] == "error.upload_no_images"  # every member read (and found not a photo)
    assert "1200 archivos" in result["streamed"]["es"] and "1200 files were skipped" in result["streamed"]["en"]
    assert result["budget"]["key"] == result["budget"]["key"] == "error.upload_bomb"
    assert "bomba zip" in result["budget"]["es"] and "zip bomb" in result["budget"]["en"]
    assert result["alone"]["key"] == "error.upload_no_images", "one zip alone is within the budget"
    assert measured["grew_mb"] < 60, measured


@pytest.mark.slow
def test_a_zip_listing_half_a_million_entries_is_refused_from_its_end_record(session_dir):
    # 500,000 directory entries (27 MB): zipfile would build half a million objects (406 MB, 4.5 s on main)
    # before any check. The end record says how many entries and how big the listing is: refused from that.
    measured = peak_in_child(CHILD_SETUP + """
files = [('dirs.zip', hostile.directory_entries_zip(500_000))]
""", """
result = attempt(files)
""")
    result = measured["result"]
    assert result["key"] == "error.upload_too_many_files"
    assert "500000" in result["es"] and "demasiados ficheros" in result["es"]
    assert "500000" in result["en"] and "too many files" in result["en"]
    assert measured["grew_mb"] < 30, measured


def test_directory_entries_count_and_a_big_listing_is_refused(session_dir, monkeypatch):
    from hostile import directory_entries_zip

    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([("dirs.zip", directory_entries_zip(datasets.MAX_ARCHIVE_MEMBERS + 1))])
    assert caught.value.message.key == "error.upload_too_many_files"
    monkeypatch.setattr(datasets, "MAX_CENTRAL_DIRECTORY_BYTES", 100_000)
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([("dirs.zip", directory_entries_zip(3000))])
    assert caught.value.message.key == "error.zip_listing"
    assert "índice del zip" in caught.value.text("es") and "zip's listing" in caught.value.text("en")
    # several zips: their entries add up
    monkeypatch.setattr(datasets, "MAX_ARCHIVE_MEMBERS", 20)
    with pytest.raises(GanError) as caught:
        uploads.read_photo_upload([("a.zip", zip_of(eight_birds())), ("b.zip", zip_of(eight_birds("b/"))),
                                   ("c.zip", zip_of(eight_birds("c/")))])
    assert caught.value.message.key == "error.upload_too_many_files"


def test_members_that_cannot_be_photos_are_never_read(session_dir, monkeypatch):
    read = []
    original = datasets._read_member
    monkeypatch.setattr(datasets, "_read_member", lambda archive, info: read.append(info.filename) or
                        original(archive, info))
    members = {**eight_birds(), **{f"junk_{i}.bin": os.urandom(1000) for i in range(20)}}
    result = uploads.read_photo_upload([("x.zip", zip_of(members)), ("notes.txt", b"hello")])
    assert result.count == 8 and sorted(read) == sorted(eight_birds())
    assert reasons(result)["junk_0.bin"] == "not_an_image" and reasons(result)["notes.txt"] == "not_an_image"


def test_a_huge_skipped_list_is_capped_with_its_total(session_dir):
    members = {**eight_birds(), **{f"n{i}.txt": b"" for i in range(datasets.MAX_SKIPPED_KEPT + 50)}}
    result = uploads.read_photo_upload([("x.zip", zip_of(members))])
    assert len(result.skipped) == datasets.MAX_SKIPPED_KEPT
    assert result.skipped.total == datasets.MAX_SKIPPED_KEPT + 50 and result.skipped.more == 50


@pytest.mark.slow
def test_images_that_expand_far_beyond_their_size(session_dir):
    # A float TIFF of 6000x6000 (about 250 kB) decodes to 144 MB and main made float64 copies of it (861 MB for
    # the issue's); a 16-bit PNG of the same size (70 kB) took 722 MB. Width x height x bytes per pixel is bounded
    # from the header; an image under the bound is reduced before anything converts it.
    measured = peak_in_child(CHILD_SETUP + """
files = [('float.tif', hostile.float_tiff(6000)), ('grey16.png', hostile.grey16_png(6000)),
         *[(f'{i}.png', hostile.grey16_png(40)) for i in range(7)]]
""", """
result = attempt(files)
""")
    result = measured["result"]
    assert result["count"] == 8 and result["skipped"] == [["float.tif", "too_many_pixels"]]
    assert tr("skip.too_many_pixels", "es").startswith("demasiados píxeles")
    assert tr("skip.too_many_pixels", "en").startswith("too many pixels")
    assert measured["grew_mb"] < 110, measured  # the 72 MB 16-bit image, decoded once


def test_a_big_grey16_image_still_looks_right_after_reduction(session_dir):
    gradient = Image.fromarray(np.tile(np.linspace(0, 65535, 2000).astype(np.uint16), (2000, 1)))
    result = uploads.read_photo_upload([*eight_birds().items(), ("ramp.png", encode(gradient, "PNG"))], size=32)
    row = result.dataset.images[-1][16, :, 0].astype(int)
    assert row[0] < 40 and row[-1] > 215 and np.all(np.diff(row) >= 0)


MODEL_SETUP = """
import sys; sys.path.insert(0, 'tests')
from pathlib import Path
import hostile
from gan_core import GanError
from gan_core.server import model_uploads
def attempt(data, folder):
    try:
        handle = model_uploads.save_model_upload('mine.keras', data, Path(folder))
        handle.generate(handle.sample_latents(32, 0))
        return {'accepted': True}
    except GanError as exc:
        return {'key': exc.message.key, 'es': exc.text('es'), 'en': exc.text('en')}
"""


@pytest.mark.slow
def test_a_tiny_keras_file_declaring_a_giant_layer_is_refused_before_keras_builds_it(session_dir):
    # A few kB whose config declares Dense(50,000,000): main's server grew 4.8 GB before refusing it.
    measured = peak_in_child(MODEL_SETUP + "data = hostile.giant_dense(hostile.small_generator_bytes(), 50_000_000)\n",
                             f"result = dict(attempt(data, {str(session_dir)!r}), size=len(data))")
    result = measured["result"]
    assert result["size"] < 30_000 and result["key"] == "error.model_too_big"
    assert "450\u00a0000\u00a0000 parámetros" in result["es"] and "450,000,000 parameters" in result["en"]
    assert "sin construirlo" in result["es"] and "without building it" in result["en"]
    assert measured["grew_mb"] < 50, measured
    assert not any(session_dir.rglob("*.keras")), "a refused file is not kept"


@pytest.mark.slow
def test_a_model_with_huge_activations_is_built_only_in_a_memory_limited_child(session_dir):
    # About 4,000 parameters, but one image is 800 MB inside the network (the explorer's grid of 32: 26 GB; main
    # accepted it and grew 832 MB on one image). Nothing the file declares is large; the server process builds it
    # only after a child process with a memory limit has built it, found the real layer sizes and refused it.
    measured = peak_in_child(MODEL_SETUP + "data = hostile.giant_activation(256)\n",
                             f"result = attempt(data, {str(session_dir)!r})")
    result = measured["result"]
    assert result["key"] == "error.model_too_big_layer", result
    # Checked in the child process: its message comes back with its counts, written in each reader's way
    assert "205\u00a0520\u00a0896 valores por imagen" in result["es"] and "205,520,896 values per image" in result["en"]
    assert measured["grew_mb"] < 50, measured  # the process serving pages never built it
    from gan_core.explore.generators import CHECK_ADDRESS_SPACE_BYTES

    assert measured["child_peak_mb"] * 1024 * 1024 < CHECK_ADDRESS_SPACE_BYTES, measured
    assert not any(session_dir.rglob("*.keras"))


def test_the_size_estimate_counts_what_the_config_declares(tmp_path):
    import json

    from hostile import giant_dense, small_generator_bytes

    from gan_core.explore import generators

    clean = small_generator_bytes()
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        assert generators.estimate_size(json.loads(archive.read("config.json"))) == (8 * 49 + 49, 49)
    with zipfile.ZipFile(io.BytesIO(giant_dense(clean, 1000))) as archive:
        assert generators.estimate_size(json.loads(archive.read("config.json")))[0] == 9 * 1000
    for bundled in sorted((PROJECT / "pretrained").glob("*/generator.keras")):  # ours pass, with room to spare
        with zipfile.ZipFile(bundled) as archive:
            params, values = generators.estimate_size(json.loads(archive.read("config.json")))
        assert params < generators.MAX_GENERATOR_PARAMS / 5 and values < generators.MAX_LAYER_VALUES / 5, bundled


@pytest.mark.slow
def test_a_clean_generator_upload_is_accepted_counts_against_the_quota_and_a_check_out_of_memory_refuses_it(
        session_dir, tmp_path, monkeypatch):
    # One test for all three: each accepted upload is checked in a child process (a TensorFlow import, seconds of
    # CPU); the same file that passed with the normal limit is then refused by a check with too little memory.
    from gan_core.explore import generators

    checked = []

    def check_in_child(path):  # the product's own check; what its child measured is kept
        checked.append(generators.check_in_child(path))
        return checked[-1]

    monkeypatch.setattr(model_uploads, "check_in_child", check_in_child)
    data = saved_bytes(small_generator(), tmp_path)
    quota = int(len(data) * 2.5)
    for _ in range(2):  # in a quota that holds two, the second upload replaces the first: one is kept
        handle = model_uploads.save_model_upload("mine.keras", data, session_dir, quota_bytes=quota)
        assert handle.latent_dim == 8 and handle.image_shape == (28, 28, 1)
        assert handle.generate(handle.sample_latents(2, 0)).shape == (2, 28, 28, 1)
        assert [p.parent for p in session_dir.rglob("*.keras")] == [session_dir / "models"]
        assert len(list((session_dir / "models").glob("*.keras"))) == 1
    assert [report["params"] for report in checked] == [8 * 49 + 49] * 2  # each built in the child, with the normal limit
    with pytest.raises(GanError) as caught:
        model_uploads.save_model_upload("mine.keras", data, session_dir, quota_bytes=len(data) // 2)
    assert caught.value.message.key == "error.quota"
    assert "espacio en el servidor está lleno" in caught.value.text("es")
    assert "space on the server is full" in caught.value.text("en")
    (kept,) = (session_dir / "models").glob("*.keras")
    assert len(checked) == 2, "the quota refused it before any child started"

    monkeypatch.setattr(generators, "CHECK_ADDRESS_SPACE_BYTES", 200_000_000)  # below what TensorFlow alone needs
    with pytest.raises(GanError) as caught:
        generators.check_in_child(kept)
    assert caught.value.message.key == "error.model_check_memory"
    assert "límite de memoria de la comprobación (200 MB)" in caught.value.text("es")
    assert "the check's memory limit (200 MB)" in caught.value.text("en")
    assert [kept] == list((session_dir / "models").glob("*.keras")), "the refused check left the kept one alone"
