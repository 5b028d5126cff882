"""Projecting a photo into a bundled 32 px generator (gan_core.explore.projection), on real images: one the generator
made comes back, real CIFAR test animals it never saw come closer than the best of 1,000 random samples, a photo that
breaks the upload rules is refused with the usual reason, the encoder is cached and reloaded safely, and the task
works off the caller's thread."""

from __future__ import annotations

import numpy as np
import pytest
from hostile import float_tiff

from gan_core import GanError, load_dataset
from gan_core.data import images as imaging
from gan_core.explore import projection
from gan_core.explore.generators import Generator
from gan_core.training.pretrained import PRETRAINED_DIR


@pytest.fixture(scope="module")
def animals() -> Generator:
    """The bundled CIFAR animals: 32x32x3, conditional on six classes."""
    return Generator.load(PRETRAINED_DIR / "cifar-animals" / "generator.keras")


def png(array: np.ndarray) -> bytes:
    return imaging.png_bytes(array)


def test_a_photo_the_generator_made_is_recovered_with_its_class(animals):
    latent = animals.sample_latents(1, 2024)
    made = imaging.to_uint8(animals.generate(latent, [4])[0])  # a frog
    photo = projection.read_photo("mine.png", png(made), animals.image_shape)  # through the upload's path
    assert np.array_equal(photo, made)
    found = projection.project(animals, photo, encoder=None, steps=200, restarts=4, seed=1)
    assert found.distance < 0.03, found.distance
    assert found.verdict == "near"
    assert found.label == 4
    redrawn = imaging.to_uint8(animals.generate(found.latent[None], [found.label])[0])
    assert np.array_equal(redrawn, found.image), "the latent handed to the explorer draws the reconstruction"
    checks = (np.indices((32, 32)).sum(axis=0) % 2 * 255).astype(np.uint8)[..., None].repeat(3, axis=2)
    far = projection.project(animals, checks, encoder=None, steps=50, restarts=2)
    assert far.verdict == "far" and far.distance > 10 * found.distance, "one-pixel checks are out of its reach"


@pytest.mark.slow
def test_real_test_animals_beat_the_best_of_a_thousand_random_samples(animals):
    test_images = load_dataset("cifar_animals").test_images
    typical = projection.typical_distance(animals)
    for index in (0, 1):
        photo = projection.fit_image(test_images[index], animals.image_shape)
        found = projection.project(animals, photo, encoder=None, steps=200, restarts=4, typical=typical)
        random = projection.best_of_random(animals, photo, samples=1000, typical=typical)
        assert found.distance < 0.85 * random.distance, (index, found.distance, random.distance)


def test_a_photo_that_breaks_the_upload_rules_is_refused_with_the_usual_reason(animals):
    tiny = np.zeros((8, 8, 3), np.uint8)
    cases = {
        "tiny.png": (png(tiny), "skip.too_small"),
        "notes.png": (b"just some text, not an image", "skip.not_an_image"),
        "photo.txt": (png(np.zeros((40, 40, 3), np.uint8)), "skip.not_an_image"),
        "huge.tiff": (float_tiff(), "skip.too_many_pixels"),
    }
    for name, (data, reason) in cases.items():
        with pytest.raises(GanError) as refused:
            projection.read_photo(name, data, animals.image_shape)
        assert refused.value.message.key == "error.photo_refused"
        from gan_core.i18n import tr

        for lang in ("es", "en"):
            text = refused.value.text(lang)
            assert tr(reason, lang) in text and name in text, text


def test_a_photo_is_cropped_resized_and_coloured_for_the_generator(animals):
    wide = np.zeros((40, 80, 3), np.uint8)
    wide[:, 20:60] = (255, 0, 0)  # the central square is red, the sides black
    photo = projection.read_photo("wide.png", png(wide), animals.image_shape)
    assert photo.shape == (32, 32, 3) and photo[..., 0].min() > 200 and photo[..., 1].max() < 40
    grey = projection.fit_image(wide, (28, 28, 1))
    assert grey.shape == (28, 28, 1)


def test_the_encoder_is_cached_under_the_generators_weights_and_reloaded_safely(animals, tmp_path):
    first = projection.encoder_for(animals, tmp_path, steps=5)
    cached = list(tmp_path.glob("encoder-*.keras"))
    assert [path.name for path in cached] == [f"encoder-{projection.fingerprint(animals)}.keras"]
    again = projection.encoder_for(animals, tmp_path, steps=5)
    image = projection.to_unit(imaging.to_uint8(animals.generate(animals.sample_latents(2, 3), [0, 1])))
    for a, b in zip(projection.encode(first, animals, image), projection.encode(again, animals, image)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    full = tmp_path / "full"

    def refuse(incoming):
        raise GanError("error.quota", used=1, limit=1)

    projection.encoder_for(animals, full, steps=5, quota_check=refuse)
    assert not list(full.glob("*.keras")), "a session whose space is full keeps nothing"


def test_a_projection_task_works_off_the_callers_thread_and_reports_progress(animals, tmp_path):
    made = imaging.to_uint8(animals.generate(animals.sample_latents(1, 5), [2])[0])
    seen = []
    task = projection.ProjectionTask(animals, made, tmp_path, extra={"key": "k"}, steps=50, restarts=2,
                                     encoder_steps=20)
    task.start()
    assert task.view().active, "start() returns while it works"
    while not task.wait(0.05):
        seen.append(task.view().phase)
    view = task.view()
    assert view.phase == "done", view.error and view.error.text("en")
    assert view.result.distance < 0.1 and view.extra == {"key": "k"}
    assert "encoder" in seen and set(seen) <= {"encoder", "optimise"}


def test_the_shipped_encoders_match_their_generators_and_load_safely():
    from gan_core.training.pretrained import bundled_generators

    shipped = [b for b in bundled_generators() if (b.directory / projection.SHIPPED_ENCODER).is_file()]
    assert {b.name for b in shipped} == {"mnist", "mnist-cgan", "fashion", "cifar-animals", "birds"}
    for bundled in shipped:
        generator = Generator.load(bundled.path)
        assert projection.shipped_matches(generator, bundled.directory / projection.SHIPPED_ENCODER), bundled.name
        encoder = projection.load_encoder(bundled.directory / projection.SHIPPED_ENCODER)
        made = generator.generate(generator.sample_latents(4, 11), [0, 1, 2, 3] if generator.conditional else None)
        latents, probabilities = projection.encode(encoder, generator, made)
        assert latents.shape == (4, generator.latent_dim)
        assert (probabilities is not None) == generator.conditional
