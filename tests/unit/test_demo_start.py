"""`linksplus demo` refuses to start, with the reason and what to do, before it starts
anything or touches its data folder."""

from __future__ import annotations

import socket

from linksplus import demo
from linksplus.devserver import free_port


def test_ports_in_use_are_named_and_nothing_is_written(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = demo.run_demo(
            app_port=free_port(), api_port=port, webhook_port=port, data_dir=tmp_path / "d"
        )
    assert code == 1
    assert capsys.readouterr().out == (
        f"Cannot start the demo: the API port {port} and webhook port {port} are already in use "
        "(another demo running?). Stop it, or choose other ports with --app-port, --api-port "
        "and --webhook-port.\n"
    )
    assert not (tmp_path / "d").exists()


def test_without_app_py_it_says_where_to_run_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(demo, "APP_FILE", tmp_path / "app.py")
    monkeypatch.chdir(tmp_path)
    code = demo.run_demo(
        app_port=free_port(), api_port=free_port(), webhook_port=free_port(), data_dir="d"
    )
    assert code == 1
    assert capsys.readouterr().out == (
        "Cannot start the demo: app.py was not found. Run `linksplus demo` from the Links+ "
        "Console folder (the one with app.py and pages/).\n"
    )
    assert not (tmp_path / "d").exists()
