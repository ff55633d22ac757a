"""A real S3-compatible server on loopback for the object-storage tests: moto's standalone server.

``moto[server]`` (a test dependency in pyproject.toml, so ``make test`` installs it with the rest)
runs a Werkzeug HTTP server speaking the S3 REST protocol on 127.0.0.1 and a free port: boto3 and
django-storages talk to it over HTTP exactly as to AWS (PUT, multipart uploads, HEAD, GET with
``Range``, ACLs, presigned URLs). It keeps objects in memory, so there is no folder to clean.

Why moto rather than s3rver (npm): s3rver checks signatures and expiry but has no ACLs, so an
anonymous GET of any object succeeds there and the most important property here (nothing in the
bucket is public) could not be tested; moto answers an anonymous request for a private object 403.
moto does not check the signature or expiry of presigned URLs: the tests check what the URL signs
(see tests/core/test_object_storage.py), and docs/object-storage.md says so.

The fixture ``s3_media`` (import ``s3_media_fixture, s3_server_fixture`` into the test module)
gives each test a new private bucket and makes it the default storage (STORAGES["default"] built
by the same ``s3_media_storage`` as production settings), with throwaway credentials in the
environment.
"""

import datetime
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from podcastcme.settings.base import s3_media_storage
from testkit.parts import part_missing

REGION = "us-east-1"
ACCESS_KEY = "podcastcme-test-key"
SECRET_KEY = "podcastcme-test-secret"


@dataclass
class S3Media:
    endpoint_url: str
    bucket: str
    client: Any  # a boto3 S3 client with the test credentials

    def object_url(self, name: str) -> str:
        """The object's plain (unsigned) address: what an anonymous client would try."""
        return f"{self.endpoint_url}/{self.bucket}/{name}"

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def acl_grants(self, name: str) -> list[dict]:
        return self.client.get_object_acl(Bucket=self.bucket, Key=name)["Grants"]


@contextmanager
def running_moto() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and a free port until the block ends; its base URL."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        part_missing(
            f"moto's server is not installed ({error}): `make test` installs it (pyproject test extra)"
        )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session", name="s3_server")
def s3_server_fixture() -> Iterator[str]:
    """moto's S3 server for the whole session; its base URL."""
    with running_moto() as url:
        yield url


@pytest.fixture(name="s3_media")
def s3_media_fixture(s3_server, settings, monkeypatch) -> Iterator[S3Media]:
    """A new private bucket as the default storage for one test."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"podcastcme-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_media_storage(bucket, endpoint_url=s3_server, region=REGION),
    }
    # (Django's setting_changed handler resets default_storage, here and when the test ends.)
    try:
        yield S3Media(endpoint_url=s3_server, bucket=bucket, client=client)
    finally:
        for key in S3Media(s3_server, bucket, client).keys():
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)


def presigned_expiry(url: str, method: str = "GET") -> datetime.datetime:
    """When a presigned URL stops working, after checking its SigV4 signature as S3 does.

    moto does not check presigned URLs, so the tests do: the signature covers the date, the
    lifetime, the method and every ``response-*`` override, so none can be changed by whoever holds
    the URL (AssertionError when it does not match the test credentials).
    """
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    signature = params["X-Amz-Signature"]
    expires = int(params["X-Amz-Expires"])
    unsigned = urlunsplit(
        parts._replace(query=urlencode([(k, v) for k, v in query if k != "X-Amz-Signature"], quote_via=quote))
    )
    auth = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION, expires=expires)
    request = AWSRequest(method=method, url=unsigned, headers={"host": parts.netloc})
    request.context["timestamp"] = params["X-Amz-Date"]
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if expected != signature:
        raise AssertionError(f"the presigned URL's signature does not verify: {url}")
    signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.UTC
    )
    return signed_at + datetime.timedelta(seconds=expires)
