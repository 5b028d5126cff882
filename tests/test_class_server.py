"""A class server that one student cannot take down or snoop on: bad numbers, one run per session, the disk quota
while a run writes, signed session ids, no server paths on the pages, the teacher's password."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gan_core import PRESETS, Dataset, GanError, Run, TrainConfig
from gan_core.config import MAX_EPOCHS


def tiny_dataset(count: int = 16) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("tiny", rng.integers(0, 255, (count, 28, 28, 1), dtype=np.uint8))


def tiny_config(**overrides) -> TrainConfig:
    return PRESETS["fast"].config(dataset="tiny", batch_size=8, epochs=1, clusters=0, **overrides)


def both(exc: GanError) -> tuple[str, str]:
    return exc.text("es"), exc.text("en")


@pytest.mark.parametrize("extra", [-1000, 10**12, MAX_EPOCHS, 2.5, "3"])
def test_resume_refuses_extra_epochs_that_would_write_an_invalid_config(tmp_path, extra):
    Run.create(tmp_path / "run", tiny_config(), dataset=tiny_dataset())
    before = (tmp_path / "run" / "config.json").read_text()
    run = Run.open(tmp_path / "run")
    with pytest.raises(GanError) as caught:
        run.resume_training(extra_epochs=extra)
    assert caught.value.message.key in ("error.out_of_range", "error.not_integer")
    es, en = both(caught.value)
    assert "extra_epochs" in es and "extra_epochs" in en
    assert ("debe estar entre" in es and "must be between" in en) or ("número entero" in es and "whole number" in en)
    assert (tmp_path / "run" / "config.json").read_text() == before, "nothing written"
    assert run.config.epochs == 1


def test_an_unknown_optimizer_key_is_a_clear_error_not_a_type_error(tmp_path):
    data = tiny_config().to_dict()
    data["generator_optimizer"]["warp_speed"] = 9
    with pytest.raises(GanError) as caught:
        TrainConfig.from_dict(data)
    assert caught.value.message.key == "error.unknown_field"
    es, en = both(caught.value)
    assert "warp_speed" in es and "Campo desconocido" in es and "learning_rate" in es
    assert "warp_speed" in en and "Unknown field" in en
    data["generator_optimizer"] = "adam"
    with pytest.raises(GanError):
        TrainConfig.from_dict(data)
    with pytest.raises(GanError) as caught:
        PRESETS["fast"].config(generator_optimizer={"nombre": "adam"})
    assert caught.value.message.key == "error.unknown_field"
    # a config file on disk with such a key: opening the run says so in words
    Run.create(tmp_path / "run", tiny_config(), dataset=tiny_dataset())
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    saved["discriminator_optimizer"]["typo"] = 1
    (tmp_path / "run" / "config.json").write_text(json.dumps(saved))
    with pytest.raises(GanError):
        Run.open(tmp_path / "run")
