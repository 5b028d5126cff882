"""A Ray cluster only with token authentication (issue 25, item 10): the README's `ray start` lines set no
RAY_AUTH_MODE, and in Ray 2.60 that leaves the cluster open to anyone who reaches it. The app refuses, before it
connects, unless it speaks token authentication with a token, or GAN_CLUSTER_INSECURE=1 says so; every page says
why in the reader's language. (That the cluster itself must refuse a call without the token, and a live cluster
with a token: tests/test_cluster_ray.py.)"""

from __future__ import annotations

import pytest
from app_support import new_app, sessions_dir  # noqa: F401 - sessions_dir is a fixture

from gan_core.i18n import GanError
from gan_core.server import cluster


@pytest.fixture
def no_ray_settings(monkeypatch, tmp_path):
    """A cluster address that is never reached, no Ray settings, and a home without ~/.ray/auth_token."""
    monkeypatch.setenv(cluster.CLUSTER_ENV, "127.0.0.1:9")
    for name in (cluster.AUTH_MODE_ENV, cluster.TOKEN_ENV, cluster.TOKEN_PATH_ENV, cluster.INSECURE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return monkeypatch


def _refusal() -> GanError:
    with pytest.raises(GanError) as caught:
        cluster.connect()  # refused before Ray is even imported: 127.0.0.1:9 is never called
    return caught.value


def test_the_app_refuses_a_cluster_without_token_authentication(no_ray_settings, tmp_path):
    for mode in (None, "disabled", "k8s"):
        if mode:
            no_ray_settings.setenv(cluster.AUTH_MODE_ENV, mode)
        refusal = _refusal()
        assert refusal.message.key == "error.cluster_no_auth"
        assert "RAY_AUTH_MODE=token" in refusal.text("es") and "cualquiera" in refusal.text("es")
        assert "anyone who can reach the cluster" in refusal.text("en")

    no_ray_settings.setenv(cluster.AUTH_MODE_ENV, "token")
    refusal = _refusal()
    assert refusal.message.key == "error.cluster_no_token"
    assert "no encuentra el token" in refusal.text("es") and "finds no token" in refusal.text("en")

    for where in ("env", "path", "home"):  # each place Ray 2.60 reads a token from
        for name in (cluster.TOKEN_ENV, cluster.TOKEN_PATH_ENV):
            no_ray_settings.delenv(name, raising=False)
        if where == "env":
            no_ray_settings.setenv(cluster.TOKEN_ENV, "a" * 32)
        elif where == "path":
            (tmp_path / "token").write_text("b" * 32)
            no_ray_settings.setenv(cluster.TOKEN_PATH_ENV, str(tmp_path / "token"))
        else:
            (tmp_path / ".ray").mkdir(exist_ok=True)
            (tmp_path / ".ray" / "auth_token").write_text("c" * 32)
        cluster.check_auth_settings()  # passes: connect() would go on to ask the cluster itself


def test_insecure_is_said_explicitly(no_ray_settings):
    no_ray_settings.setenv(cluster.AUTH_MODE_ENV, "disabled")
    no_ray_settings.setenv(cluster.INSECURE_ENV, "yes")
    assert _refusal().message.key == "error.cluster_no_auth", "only 1 turns the check off"
    no_ray_settings.setenv(cluster.INSECURE_ENV, "1")
    cluster.check_auth_settings()
    cluster.refuse_open_cluster("127.0.0.1:9")  # not even asked


def test_every_page_says_why_in_the_readers_language(sessions_dir, no_ray_settings):
    try:
        for lang, words in (("es", "no usa la autenticación por token de Ray"),
                            ("en", "does not use Ray's token authentication")):
            at = new_app()
            at.query_params["lang"] = lang
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert any(words in e.value for e in at.error), [e.value for e in at.error]
            assert not at.button and not at.tabs, "nothing else is drawn"
    finally:
        no_ray_settings.delenv(cluster.CLUSTER_ENV)  # the fixture's clean-up opens the registry: without a cluster
