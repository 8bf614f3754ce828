"""The one client of the sandbox's test controls (``/_sandbox/*``): simulated payments, the
team list, the webhook replay and the settings tests change (reset, seed, faults).

Used by `linksplus.simulate`, the app's sandbox team names, the demo and the tests. It
needs no key: the controls are the sandbox's own, not part of the Links+ API.
"""

from __future__ import annotations

from typing import Any

import requests

from linksplus.errors import APIConnectionError, LinksPlusError, error_from_response

CONTROLS_PATH = "/_sandbox"
_UNREADABLE = "The sandbox sent an answer that could not be read."


class SandboxControls:
    """The test controls of the sandbox at `url` (its base address, as for the API)."""

    def __init__(self, url: str, *, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    @property
    def health_url(self) -> str:
        """The address that answers 200 once the sandbox is up."""
        return self._address("/health")

    def _address(self, path: str) -> str:
        return f"{self.url}{CONTROLS_PATH}{path}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request to ``/_sandbox{path}``; raises requests' errors, for a failed status too."""
        kwargs.setdefault("timeout", self.timeout)
        resp = requests.request(method, self._address(path), **kwargs)
        resp.raise_for_status()
        return resp

    def _answer(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON the control answers, or the `LinksPlusError` its failure stands for."""
        try:
            resp = requests.request(method, self._address(path), timeout=self.timeout, **kwargs)
        except requests.RequestException:
            raise APIConnectionError(
                f"Could not reach the sandbox at {self.url}. Is it running?"
            ) from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code >= 400:
            raise error_from_response(resp.status_code, data, resp.headers)
        if data is None:
            raise LinksPlusError(_UNREADABLE)
        return data

    def pay(self, link_id: int, *, status: str, amount: int | None = None) -> dict[str, Any]:
        """Have the sandbox take a payment on `link_id` as a payer would, and send its
        webhooks; the payment object. Raises `LinksPlusError` (unknown link, link used...)."""
        body: dict[str, Any] = {"status": status}
        if amount is not None:
            body["amount"] = int(amount)
        data = self._answer("POST", f"/links/{int(link_id)}/payments", json=body)
        if not isinstance(data, dict):
            raise LinksPlusError(_UNREADABLE)
        return data

    def team_names(self) -> dict[int, str]:
        """{team id: name} of the sandbox's teams (a team without a name is "Team <id>")."""
        teams = self._answer("GET", "/teams")
        try:
            return {int(t["id"]): str(t.get("name") or f"Team {t['id']}") for t in teams}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise LinksPlusError(_UNREADABLE) from None

    def replay_webhooks(self) -> int:
        """Send every recorded payment to the system webhook again; how many were sent."""
        data = self._answer("POST", "/webhooks/replay")
        return int(data.get("sent", 0)) if isinstance(data, dict) else 0
