"""A run's progress store (gan_core.training.run_folder.RunProgress): what a mirror of a job trained elsewhere takes
from each poll, and what a run's folder gives back, before and after a rewind to a checkpoint."""

from gan_core.training.gan import STEP_FIELDS
from gan_core.training.run_folder import RunFolder, RunProgress


def step_record(step: int) -> dict:
    return {"type": "step", "step": step, **{name: step / 10 for name in STEP_FIELDS}}


def record(progress: RunProgress, first: int, last: int, steps_per_epoch: int = 4) -> None:
    """Steps first..last as the trainer records them, an epoch record at each epoch's end."""
    for step in range(first, last + 1):
        progress.record_steps([step_record(step)], step_in_epoch=(step - 1) % steps_per_epoch + 1, images_per_sec=50.0)
        if step % steps_per_epoch == 0:
            progress.record_epoch({"type": "epoch", "epoch": step // steps_per_epoch, "step": step, "images_per_sec": 50.0})
            progress.add_grid(step // steps_per_epoch)


def folder(tmp_path) -> RunFolder:
    run_folder = RunFolder(tmp_path / "run")
    run_folder.make_folders()
    return run_folder


def test_a_mirror_fed_each_polls_news_holds_what_the_job_holds(tmp_path):
    job = RunProgress(folder(tmp_path))
    job.begin_epochs(4)
    mirror = RunProgress(RunFolder(tmp_path / "run"))
    record(job, 1, 5)
    mirror.apply(job.since(-1))  # the first poll brings the whole history
    news = job.since(mirror.step)
    assert news["steps"]["step"] == [] and news["step"] == 5
    record(job, 6, 9)
    news = job.since(mirror.step)
    assert news["steps"]["step"] == [6, 7, 8, 9]  # only what the mirror lacks crosses the socket
    mirror.apply(news)
    assert mirror.copy() == job.copy()
    assert (mirror.epoch, mirror.step, mirror.step_in_epoch, mirror.grid_epochs) == (2, 9, 1, [1, 2])


def test_a_job_resumed_from_a_checkpoint_replaces_the_mirrors_later_steps(tmp_path):
    mirror = RunProgress(folder(tmp_path))
    mirror.begin_epochs(4)
    record(mirror, 1, 7)
    resumed = RunProgress(RunFolder(tmp_path / "run"))
    resumed.begin_epochs(4)
    record(resumed, 5, 6)  # the job went on from its epoch-1 checkpoint: its steps restart at 5
    mirror.apply(resumed.since(-1))
    assert mirror.steps["step"] == [1, 2, 3, 4, 5, 6]
    assert mirror.steps["g_loss"] == [step / 10 for step in range(1, 7)]
    assert mirror.step == 6


def test_the_folder_gives_back_the_records_and_a_rewind_forgets_what_came_after(tmp_path):
    run_folder = folder(tmp_path)
    writer = run_folder.append_metrics()
    writer.write([step_record(1), step_record(2), {"type": "epoch", "epoch": 1, "step": 2, "images_per_sec": 40.0},
                  step_record(3), step_record(4), {"type": "epoch", "epoch": 2, "step": 4, "images_per_sec": 42.0},
                  {"type": "quality", "epoch": 2, "step": 4, "score": 0.5}])
    writer.close()
    for epoch in (0, 1, 2):
        run_folder.grid_path(epoch).write_bytes(b"png")
    progress = RunProgress(run_folder)
    progress.load()
    assert (progress.step, progress.epoch, progress.images_per_sec) == (4, 2, 42.0)
    assert progress.steps["step"] == [1, 2, 3, 4] and len(progress.quality) == 1 and progress.grid_epochs == [0, 1, 2]
    progress.rewind(1, 2)
    assert (progress.step, progress.epoch, progress.grid_epochs) == (2, 1, [0, 1])
    assert progress.steps["step"] == [1, 2] and progress.quality == []
    again = RunProgress(RunFolder(tmp_path / "run"))
    again.load()  # the file lost the later records too: no step is counted twice when training goes on
    assert again.steps["step"] == [1, 2] and again.epoch == 1
