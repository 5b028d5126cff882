"""`python -m gan_core doctor` on this CPU, GAN_COMPILE, and training on without XLA when a compiled step fails."""

import re

import numpy as np
import pytest
import tensorflow as tf
from app_support import class_app, poll, sessions_dir  # noqa: F401 - sessions_dir is a fixture

from gan_core import GanError
from gan_core.__main__ import main
from gan_core.training import device, doctor
from gan_core.training.gan import GAN

RATE_LINE = re.compile(r"^\s+(\S+)\s+(\S+)\s+batch (\d+)\s+(\d+) img/s\s+\((.+)\)$")


def rate_lines(output: str) -> dict:
    """{preset: (images per second, how the step ran)} from the doctor's table."""
    found = {}
    for line in output.splitlines():
        match = RATE_LINE.match(line)
        if match:
            found[match[1]] = (int(match[4]), match[5])
    return found


@pytest.mark.slow  # real steps of every preset family: the full suite's
def test_doctor_prints_every_family_with_a_rate_and_how_it_ran(capsys, monkeypatch):
    monkeypatch.delenv("GAN_COMPILE", raising=False)
    assert main(["--lang", "en", "doctor", "--batches", "1", "--max-images", "64"]) == 0
    output = capsys.readouterr().out
    assert f"Training framework: tensorflow {tf.__version__}" in output
    assert f"Trains on: {device.description()}" in output
    assert "Compiled step (GAN_COMPILE): auto" in output
    assert "A step compiled with XLA works on this machine." in output  # XLA compiles on this CPU
    rates = rate_lines(output)
    assert set(rates) == {preset for preset, _ in doctor.FAMILIES}
    for preset, (images_per_sec, how) in rates.items():
        assert images_per_sec > 0, preset
        # On a machine without a GPU Keras' auto setting does not compile with XLA: the table must say so.
        expected = "compiled" if tf.config.list_physical_devices("GPU") else "not compiled"
        assert how == expected, preset


@pytest.mark.slow  # real steps of every preset family: the full suite's
def test_gan_compile_xla_compiles_the_step_and_the_table_says_so_in_spanish(capsys, monkeypatch):
    monkeypatch.setenv("GAN_COMPILE", "xla")
    assert main(["--lang", "es", "doctor", "--batches", "1", "--max-images", "64", "--presets", "mlp"]) == 0
    output = capsys.readouterr().out
    assert "Paso compilado (GAN_COMPILE): xla" in output
    assert rate_lines(output)["mlp"][1] == "compilado"
    monkeypatch.setenv("GAN_COMPILE", "eager")
    gan, _, _ = doctor.build_for_check("mlp", "mnist", 64)
    assert gan.jit_compile is False


def test_a_bad_gan_compile_is_refused_in_the_readers_language(capsys, monkeypatch):
    monkeypatch.setenv("GAN_COMPILE", "turbo")
    with pytest.raises(GanError) as refused:
        device.compile_mode()
    assert "turbo" in refused.value.text("en") and "auto, xla, eager" in refused.value.text("en")
    assert main(["--lang", "es", "doctor", "--presets", "mlp"]) == 2
    assert "GAN_COMPILE «turbo» no es válido" in capsys.readouterr().err


def test_an_unknown_family_is_refused(capsys):
    assert main(["--lang", "en", "doctor", "--presets", "mlp,unicorn"]) == 2
    assert "Unknown recipe “unicorn”" in capsys.readouterr().err


class UncompilableGAN(GAN):
    """A GAN whose step holds an op XLA cannot compile (a Python function): a real compile failure, like the
    convolution autotuning reported on some GPUs."""

    def prepare_real(self, data):
        data = tf.numpy_function(lambda batch: batch, [data], tf.uint8, stateful=False)
        data.set_shape((None, 28, 28, 1))
        return super().prepare_real(data)


def test_training_goes_on_without_xla_when_the_compiled_step_fails(monkeypatch, caplog):
    monkeypatch.setenv("GAN_COMPILE", "xla")
    built, data, _ = doctor.build_for_check("mlp", "mnist", 64, batch_size=16)
    gan = UncompilableGAN(built.generator, built.discriminator, doctor_config())
    gan.compile(built.g_optimizer, built.d_optimizer)
    assert gan.jit_compile is True
    before = [w.copy() for w in gan.generator.get_weights()]
    with caplog.at_level("WARNING"):
        history = gan.fit(data, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False)
    assert gan.jit_compile is False and gan.compile_fallback
    assert "compiled step failed, training without XLA" in caplog.text
    assert np.isfinite(history.history["g_loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, gan.generator.get_weights()))  # it trained


def doctor_config():
    from gan_core.training.config import recipe

    return recipe("mlp", dataset="mnist", batch_size=16)


@pytest.mark.slow  # real steps of every preset family: the full suite's
def test_the_teachers_button_shows_the_check_of_this_machine(sessions_dir, monkeypatch):
    """The teacher view's button runs the doctor in a subprocess; the page polls and shows its table."""
    from gan_core.server import classroom

    monkeypatch.setattr(doctor, "VIEW_ARGS", ("--lang", "en", "doctor", "--batches", "1", "--max-images", "64",
                                              "--presets", "mlp"))
    at = class_app()
    at.switch_page("app_pages/teacher.py").run()
    at.text_input[0].set_value(classroom.generated_password(sessions_dir)[0])
    at.button(key="FormSubmitter:teacher.login-Entrar").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="teacher.doctor").click().run()
    poll(at, lambda at: any(frame.value is not None and len(frame.value) for frame in at.dataframe), timeout=120,
         describe=lambda: [i.value for i in at.info] + [e.value for e in at.error])
    (frame,) = at.dataframe
    assert list(frame.value["Receta"]) == ["mlp"] and frame.value["Imágenes/s"][0] > 0
    assert any(f"Entrena en: {device.description()}" in m.value for m in at.markdown)
