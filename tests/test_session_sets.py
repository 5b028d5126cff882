"""A session's own photo sets on disk (gan_core.data.session_sets, issue #27 item 5: the storage left the UI): a
set of real photos saved, listed with its report, read back as the same images, deleted; ids that are not ids
name nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_core.data import session_sets
from gan_core.data.datasets import load_dataset, load_saved_dataset

BIRDS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "birds"


def test_a_saved_set_is_listed_read_back_and_deleted(tmp_path):
    photos = load_dataset(str(BIRDS), image_size=32)
    folder = tmp_path / "session" / session_sets.FOLDER
    first = session_sets.save(folder, photos, "mis pájaros", skipped=[("nota.txt", "upload.not_image")],
                              skipped_total=3)
    second = session_sets.save(folder, photos, "otra vez")
    listing = session_sets.listing(folder)
    assert set(listing) == {first, second}
    assert listing[first] == {"name": "mis pájaros", "count": len(photos.images), "size": 32,
                              "class_names": list(photos.class_names or []),
                              "skipped": [["nota.txt", "upload.not_image"]], "skipped_total": 3}
    back = load_saved_dataset(session_sets.path(folder, first))
    assert np.array_equal(back.images, photos.images)

    session_sets.delete(folder, first)
    assert session_sets.path(folder, first) is None and list(session_sets.listing(folder)) == [second]
    assert not (folder / f"{first}.json").exists()


def test_an_id_that_is_not_one_names_nothing(tmp_path):
    folder = tmp_path / session_sets.FOLDER
    folder.mkdir()
    (tmp_path / "secret.npz").write_bytes(b"x")
    for bad in ("../secret", "0123456789abcdeg", "", None, "0123456789abcdef"):
        assert session_sets.path(folder, bad) is None
        session_sets.delete(folder, bad)  # nothing to delete, nothing raised
    assert (tmp_path / "secret.npz").exists() and session_sets.listing(tmp_path / "missing") == {}
