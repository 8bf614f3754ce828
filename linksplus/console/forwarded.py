"""Which address a login attempt comes from, for the login throttle.

Streamlit's web server (uvicorn) replaces the connection's address with one taken from
``X-Forwarded-For`` when the connection comes from a host in its own ``FORWARDED_ALLOW_IPS``
(loopback unless set), and keeps the header. The console trusts forwarded addresses only
from the proxies named in `trusted_proxies` (none by default): `client_address` takes back
what the server took from the header when the forwarding host is not one of them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from linksplus.config import Network, parse_networks

_UVICORN_DEFAULT = "127.0.0.1,::1"  # uvicorn's FORWARDED_ALLOW_IPS when unset
_LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128"))


def client_address(
    seen: str | None,
    forwarded_for: Sequence[str],
    trusted: Sequence[Network],
    server_trusts: str | None = None,
) -> str | None:
    """The address a request comes from (None: this machine).

    `seen` is the address Streamlit reports (``st.context.ip_address``: None for loopback),
    `forwarded_for` the request's X-Forwarded-For headers, `trusted` the `trusted_proxies`
    and `server_trusts` the server's FORWARDED_ALLOW_IPS (None: unset)."""
    hops = [_host(part) for header in forwarded_for for part in str(header).split(",")]
    hops = [h for h in hops if h]
    if hops and _taken_from_header(seen, hops):
        # The connection came from one of the server's forwarding hosts; which one is lost.
        forwarders, _bad = parse_networks(
            _UVICORN_DEFAULT if server_trusts is None else server_trusts
        )
        peer_trusted = bool(forwarders) and "*" not in str(server_trusts or "")
        peer_trusted = peer_trusted and all(_covered(n, trusted) for n in forwarders)
        peer = None if all(_is_loopback(n) for n in forwarders) else "forwarder"
    else:
        peer = seen
        peer_trusted = _covered(_network(seen), trusted)
    if not peer_trusted or not hops:
        return peer
    # Behind trusted proxies: the right-most hop that is not one of them.
    for hop in reversed(hops):
        if not _covered(_network(hop), trusted):
            return _normal(hop)
    return _normal(hops[0])


def _taken_from_header(seen: str | None, hops: list[str]) -> bool:
    if seen is None:
        return any(_is_loopback(_network(h)) for h in hops)
    return _normal(seen) in {_normal(h) for h in hops}


def _host(part: str) -> str:
    """A hop without its port: 1.2.3.4:80 and [::1]:80 as uvicorn reads them."""
    value = part.strip()
    if value.startswith("[") and "]" in value:
        return value[1 : value.index("]")]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def _network(address: str | None) -> Network | None:
    if address is None:
        return _LOOPBACK[0]  # Streamlit's None: 127.0.0.1 or ::1
    try:
        return ipaddress.ip_network(address, strict=False)
    except ValueError:
        return None


def _is_loopback(network: Network | None) -> bool:
    return network is not None and network.is_loopback


def _covered(network: Network | None, trusted: Sequence[Network]) -> bool:
    """Whether `network` lies inside one of `trusted`. The two loopback addresses count as
    one: Streamlit does not tell them apart."""
    if network is None:
        return False
    if _is_loopback(network):
        return any(lo.subnet_of(t) for lo in _LOOPBACK for t in trusted if t.version == lo.version)
    return any(t.version == network.version and network.subnet_of(t) for t in trusted)


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address
