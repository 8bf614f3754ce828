"""What the receiver takes from the console's configuration file (`linksplus init` writes
it): the event log's URL and the webhook secret, so that one file configures every part."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NamedTuple


class ReceiverConfig(NamedTuple):
    """The file's ``eventlog_url`` and ``webhook_secret`` (None when it has none)."""

    db_url: str | None
    secret: str | None


def read_receiver_config(path: str | Path) -> ReceiverConfig:
    """The receiver's settings in the ``[linksplus]`` table of the TOML file at `path`.

    ValueError, with a sentence naming the file, when it is missing or not TOML.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ValueError(f"the configuration file {path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"the configuration file {path} cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} cannot be read as TOML ({exc})") from None
    section = data.get("linksplus", data)
    if not isinstance(section, dict):
        section = {}

    def text(name: str) -> str | None:
        value = section.get(name)
        return str(value).strip() or None if value not in (None, "") else None

    return ReceiverConfig(text("eventlog_url"), text("webhook_secret"))
