"""The `linksplus` command's small helpers."""

import bcrypt

from linksplus.cli import main


def test_hash_password_prints_a_bcrypt_hash_of_the_password(capsys):
    assert main(["hash-password", "--password", "correct horse"]) == 0
    printed = capsys.readouterr().out.strip()
    assert bcrypt.checkpw(b"correct horse", printed.encode())


def test_hash_password_refuses_a_short_password(capsys):
    assert main(["hash-password", "--password", "short"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
