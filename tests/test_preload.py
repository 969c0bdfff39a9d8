"""The gunicorn master readies the templates and languages once, for every worker it forks."""

from __future__ import annotations

from app.preload import ready_before_fork


def test_after_the_masters_preload_pages_compile_no_template(
    app, client, factory, auth, monkeypatch
):
    user = factory.user(role="admin")
    key_id, _ = factory.key(user)
    auth.login(user)
    ready_before_fork(app)
    compiled = []
    compile_template = app.jinja_env.compile

    def counting(*args, **kwargs):
        compiled.append(args)
        return compile_template(*args, **kwargs)

    monkeypatch.setattr(app.jinja_env, "compile", counting)
    for path in ("/en/api-keys", f"/en/api-keys/{key_id}", "/de/admin/audit", "/zh/activity"):
        assert client.get(path).status_code == 200, path
    assert compiled == []
