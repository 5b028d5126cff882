"""`python -m gan_core doctor` on this CPU, GAN_COMPILE, and training on without XLA when a compiled step fails."""

import json
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
def test_gan_compile_xla_compiles_the_step_and_the_table_says_so_in_spanish(monkeypatch):
    # The CLI's own table (doctor.check, then doctor.describe, as `doctor --lang es` prints it) without its check
    # that a compiled step works here: that is a second XLA compile, and the test above runs it already.
    monkeypatch.setenv("GAN_COMPILE", "xla")
    report = doctor.check(1, 64, [family for family in doctor.FAMILIES if family[0] == "mlp"], check_compiled=False)
    output = "\n".join(doctor.describe(report, "es"))
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


def test_a_run_whose_compiled_step_failed_says_so_in_its_message_and_its_log(tmp_path, monkeypatch):
    """The fallback is in the run's own record: the message the page shows when it ends, and a note in its
    metrics.jsonl, in es and en."""
    from gan_core import Run, RunState
    from gan_core.server.scheduler import Scheduler
    from gan_core.training import trainer
    from gan_core.training.config import recipe

    monkeypatch.setenv("GAN_COMPILE", "xla")
    monkeypatch.setattr(trainer, "GAN", UncompilableGAN)
    run = Run.create(tmp_path / "ana", recipe("mlp", dataset="mnist", epochs=2, batch_size=16, max_images=64),
                     owner="ana")
    run.start(Scheduler(1))
    assert run.wait(300)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED and snap.message.key == "run.compile_fallback"
    assert snap.epoch == 2 and snap.step == 7, snap  # the first batch went to the failed compile; both epochs ran
    assert snap.message.text("en").startswith("The compiled step (XLA) failed on this machine; training went on")
    assert snap.message.text("es").startswith("El paso compilado (XLA) falló en esta máquina")
    assert "InvalidArgumentError" in snap.message.text("en") or "Error" in snap.message.text("en")
    notes = [record for record in run.folder.read_metrics() if record.get("type") == "note"]
    assert [note["message"]["key"] for note in notes] == ["run.compile_fallback"] and notes[0]["step"] == 1
    assert Run.open(run.directory).message.key == "run.compile_fallback"  # status.json keeps it


def concurrent(runs, total, memory=None):
    return doctor.Concurrent(runs, total, total / runs, memory)


def test_the_slots_are_where_the_total_stops_growing_or_the_card_is_full():
    """The rule, on a made-up GPU table: the most runs at once while each step adds 10% to the total images/s,
    then no more than 90% of the card holds."""
    flat = doctor.choose_slots([concurrent(1, 1000), concurrent(2, 1900), concurrent(4, 2000)], per_gpu=True)
    assert (flat.slots, flat.reason) == (2, "flat")
    growing = [concurrent(1, 1000, 9000), concurrent(4, 3600, 9000), concurrent(2, 1900, 9000)]
    assert (doctor.choose_slots(growing).slots, doctor.choose_slots(growing).reason) == (4, "growing")
    full = doctor.choose_slots(growing, card_memory_mb=30000, per_gpu=True)  # 27,000 MB hold 3 runs of 9,000
    assert (full.slots, full.reason) == (3, "memory")
    lines = doctor.describe_slots(full, "en")
    assert lines[-1] == "Trainings at once: 3 per GPU. More runs' memory would not fit on the card."
    assert "  4 x      900 img/s =     3600 img/s      9000 MB/run" in lines
    assert doctor.describe_slots(flat, "es")[-1] == ("Entrenamientos a la vez: 2 por GPU. Con más ejecuciones a la "
                                                     "vez el total de imágenes/s creció menos de un 10 %.")


def test_the_server_takes_a_measurement_of_this_machine_only_and_the_setting_overrides_it(tmp_path, monkeypatch):
    from gan_core.server import scheduler

    monkeypatch.delenv("GAN_MAX_CONCURRENT", raising=False)
    monkeypatch.setenv(doctor.SLOTS_FILE_ENV, str(tmp_path / "slots.json"))
    unmeasured, why = scheduler.slots_and_reason()
    assert why.key == ("slots.one_per_gpu" if device.gpu_count() else "slots.cpu_cores")
    advice = doctor.choose_slots([concurrent(1, 1000, 9000), concurrent(2, 1900, 9000), concurrent(4, 3000, 9000)],
                                 card_memory_mb=80000, per_gpu=True)
    doctor.save_slots(advice)
    monkeypatch.setattr(scheduler, "configure", lambda: {"gpus": ["NVIDIA H100 80GB HBM3"] * 2})
    if device.configure()["gpus"] != ["NVIDIA H100 80GB HBM3"] * 2:  # measured on this machine, read as another's
        assert doctor.read_slots(["NVIDIA H100 80GB HBM3"] * 2) is None
        assert scheduler.slots_and_reason()[0] == 2  # one per GPU: the file is not this machine's
    record = json.loads((tmp_path / "slots.json").read_text())
    (tmp_path / "slots.json").write_text(json.dumps({**record, "gpus": ["NVIDIA H100 80GB HBM3"] * 2}))
    slots, why = scheduler.slots_and_reason()
    assert slots == 8 and why.key == "slots.measured_gpu"  # 4 per GPU (still growing), 2 GPUs
    assert why.text("en") == f"Trainings at once: 8 (4 per GPU on 2 GPUs), from the measurement saved in {tmp_path / 'slots.json'}."
    monkeypatch.setenv("GAN_MAX_CONCURRENT", "3")
    assert scheduler.slots_and_reason()[0] == 3 and scheduler.default_slots() == 3
    (tmp_path / "slots.json").write_text("{not json")
    monkeypatch.delenv("GAN_MAX_CONCURRENT")
    assert scheduler.slots_and_reason()[0] == 2  # an unreadable file is no measurement


@pytest.mark.slow  # real steps of 1 and 2 runs at once
def test_this_cpus_measurement_gives_the_slots_the_server_takes(tmp_path, monkeypatch):
    from gan_core.server import scheduler

    monkeypatch.delenv("GAN_MAX_CONCURRENT", raising=False)
    monkeypatch.setenv(doctor.SLOTS_FILE_ENV, str(tmp_path / "slots.json"))
    advice = doctor.measure_slots(counts=(1, 2), batches=2, max_images=128)
    assert [row.runs for row in advice.table] == [1, 2] and all(row.images_per_sec > 0 for row in advice.table)
    assert advice.per_gpu is bool(device.gpu_count()) and advice.slots in (1, 2)
    assert advice.reason == ("growing" if advice.slots == 2 else "flat")
    doctor.save_slots(advice)
    slots, why = scheduler.slots_and_reason()
    if not device.gpu_count():
        assert slots == advice.slots and why.key == "slots.measured_cpu"


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
    from gan_core.server.scheduler import slots_and_reason

    assert slots_and_reason()[1].text("es") in [m.value for m in at.markdown]  # the slots and why
