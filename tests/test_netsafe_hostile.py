"""The hostile-input list: every URL form that could reach the worker's own network or a cloud
metadata service is refused with ``unsafe_url``, before any connection.

Numeric hosts go through the real system resolver (``getaddrinfo`` reads ``2130706433``,
``0x7f.1``, ``0177.0.0.1`` and ``127.1`` as 127.0.0.1, and so does the policy); names resolve
through a fake resolver that answers a public address, so only the name or the syntax can be
what refuses them.
"""

from __future__ import annotations

import ipaddress

import pytest

import pinterest_agent.providers.netsafe as netsafe

PUBLIC = "93.184.216.34"


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC]


NUMERIC_LOOPBACK = [
    "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/",
    "http://0x7f000001/", "http://017700000001/", "http://0x7f.0.0.1/", "http://127.0.1/",
]


@pytest.mark.parametrize("url", NUMERIC_LOOPBACK)
def test_ipv4_literal_forms_are_read_as_the_resolver_reads_them(url: str) -> None:
    # Given the system resolver, which turns these forms into 127.0.0.1
    fetcher = netsafe.SafeFetcher()
    # When the URL is checked
    with pytest.raises(netsafe.UnsafeURLError) as info:
        fetcher.check_url(url)
    # Then it is refused as the loopback address it denotes
    assert info.value.code == "unsafe_url"
    assert "127.0.0.1" in info.value.message and "loopback" in info.value.message


@pytest.mark.parametrize("url", NUMERIC_LOOPBACK)
def test_ipv4_literal_forms_are_refused_when_fetched_too(url: str) -> None:
    fetcher = netsafe.SafeFetcher(timeout_s=1.0)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_reachable(url)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.fetch(url, max_bytes=100)


EMBEDDED = {
    "IPv4-mapped loopback": "http://[::ffff:127.0.0.1]/",
    "IPv4-mapped loopback, hex": "http://[::ffff:7f00:1]/",
    "IPv4-mapped metadata": "http://[::ffff:169.254.169.254]/",
    "IPv4-mapped private": "http://[::ffff:10.0.0.1]/",
    "IPv4-compatible loopback": "http://[::127.0.0.1]/",
    "NAT64 loopback": "http://[64:ff9b::7f00:1]/",
    "NAT64 metadata": "http://[64:ff9b::a9fe:a9fe]/",
    "NAT64 Azure wireserver": "http://[64:ff9b::a83f:8110]/",
    "NAT64 local-use prefix": "http://[64:ff9b:1::a00:1]/",
    "6to4 loopback": "http://[2002:7f00:1::1]/",
    "6to4 metadata": "http://[2002:a9fe:a9fe::]/",
    "Teredo": "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
}


@pytest.mark.parametrize("url", EMBEDDED.values(), ids=EMBEDDED.keys())
def test_ipv6_forms_embedding_ipv4_are_refused(url: str) -> None:
    with pytest.raises(netsafe.UnsafeURLError) as info:
        netsafe.SafeFetcher(allow_loopback=True).check_url(url)
    assert info.value.code == "unsafe_url"


METADATA = {
    "AWS/GCP/Azure IMDS": "http://169.254.169.254/latest/meta-data/",
    "AWS ECS task metadata": "http://169.254.170.2/v2/credentials",
    "Azure wireserver": "http://168.63.129.16/machine?comp=goalstate",
    "AWS IMDS IPv6": "http://[fd00:ec2::254]/latest/meta-data/",
    "Alibaba": "http://100.100.100.200/latest/meta-data/",
    "Oracle": "http://192.0.0.192/opc/v2/instance/",
    "Tencent": "http://169.254.0.23/meta-data/",
}


@pytest.mark.parametrize("url", METADATA.values(), ids=METADATA.keys())
def test_metadata_addresses_are_refused_even_with_loopback_allowed(url: str) -> None:
    with pytest.raises(netsafe.UnsafeURLError) as info:
        netsafe.SafeFetcher(allow_loopback=True).check_url(url)
    assert "metadata" in info.value.message


@pytest.mark.parametrize(
    "host",
    ["metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata.goog", "metadata",
     "instance-data.ec2.internal", "anything.internal", "printer.local"],
)
def test_metadata_and_special_use_names_are_refused_whatever_they_resolve_to(host: str) -> None:
    # Given a resolver that would answer a public address
    fetcher = netsafe.SafeFetcher(resolver=public_resolver)
    # Then the name alone refuses the URL
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_url(f"http://{host}/computeMetadata/v1/")


SYNTAX = {
    "credentials": "https://user:pass@shop.example/",
    "user only": "https://user@shop.example/",
    "empty user info": "https://@shop.example/",
    "password only": "https://:pw@shop.example/",
    "credentials to loopback": "https://user:pass@127.0.0.1/",
    "backslash before @": "https://shop.example\\@127.0.0.1/",
    "backslash in host": "https://shop.example\\.evil.example/",
    "backslashes as slashes": "https:\\\\shop.example\\x",
    "empty host": "https:///nohost",
    "port only": "https://:443/",
    "no host at all": "http://",
    "relative": "/relative/path",
    "ftp": "ftp://shop.example/a",
    "file": "file:///etc/passwd",
    "javascript": "javascript:alert(1)",
    "gopher": "gopher://shop.example:6379/_FLUSHALL",
    "space in host": "https://shop.example /a",
    "newline": "https://shop.example/a\nHost: 127.0.0.1",
    "tab": "https://shop.\texample/",
    "percent-encoded host": "http://%31%32%37.0.0.1/",
    "bad port": "https://shop.example:99999/",
}


@pytest.mark.parametrize("url", SYNTAX.values(), ids=SYNTAX.keys())
def test_odd_syntax_is_refused(url: str) -> None:
    fetcher = netsafe.SafeFetcher(resolver=public_resolver)
    with pytest.raises(netsafe.UnsafeURLError) as info:
        fetcher.check_url(url)
    assert info.value.code == "unsafe_url"
    assert "pass@" not in str(info.value) and "user:" not in str(info.value)  # no credentials


@pytest.mark.parametrize("address", ["fec0::1", "fec0:1::5", "feff::1"])
def test_deprecated_site_local_is_not_public(address: str) -> None:
    fetcher = netsafe.SafeFetcher(resolver=lambda host, port: [address])
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_url("https://site-local.example/")
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_url(f"https://[{address}]/")


@pytest.mark.parametrize(
    "answers",
    [[PUBLIC, "10.0.0.1"], ["10.0.0.1", PUBLIC], [PUBLIC, "168.63.129.16"],
     ["2606:2800:220:1:248:1893:25c8:1946", "fd00:ec2::254"], [PUBLIC, "::1"]],
)
def test_one_bad_address_among_public_ones_refuses_the_host(answers: list[str]) -> None:
    fetcher = netsafe.SafeFetcher(resolver=lambda host, port: answers)
    with pytest.raises(netsafe.UnsafeURLError):
        fetcher.check_url("https://mixed.example/")


@pytest.mark.parametrize(
    "address",
    [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822", "2002:5db8:d822::1"],
    ids=["ipv4", "ipv6", "nat64-of-public", "6to4-of-public"],
)
def test_public_addresses_pass(address: str) -> None:
    # Given a host resolving to a public address (NAT64 of a public IPv4 address is what DNS64
    # answers on an IPv6-only network)
    fetcher = netsafe.SafeFetcher(resolver=lambda host, port: [address])
    # Then the URL passes and the address is kept
    assert fetcher.check_url("https://shop.example/a").addresses == (address,)


def test_loopback_allowance_opens_loopback_only() -> None:
    from pinterest_agent.providers.netsafe.policy import AddressPolicy

    policy = AddressPolicy(allow_loopback=True)
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("127.9.9.9")) is None
    assert policy.refusal(ipaddress.ip_address("::1")) is None
    for other in ("10.0.0.1", "169.254.169.254", "0.0.0.0", "::ffff:127.0.0.1", "::"):
        assert policy.refusal(ipaddress.ip_address(other)) is not None, other


def test_numeric_looking_host_that_is_no_address_is_refused() -> None:
    with pytest.raises(netsafe.UnsafeURLError):
        netsafe.SafeFetcher(resolver=public_resolver).check_url("http://999999999999/")


def test_the_netsafe_package_exports_exactly_its_public_names() -> None:
    assert sorted(netsafe.__all__) == sorted([
        "AddressGuard", "AddressPolicy", "CheckedURL", "DestinationUnavailableError",
        "DestinationUnreachableError", "FetchFailedError", "FetchTooLargeError",
        "FetchUnavailableError", "FetchedBody", "FetchedFile", "HostLookupError",
        "HostNotFoundError", "Resolver", "SafeFetcher", "UnsafeURLError", "parse_url", "redact",
        "system_resolver",
    ])
