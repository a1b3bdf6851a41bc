"""TLS: `--tls` (a generated self-signed certificate) and `--tls-cert/--tls-key`, through boto3,
the AWS CLI and raw HTTP/2 (ALPN h2) — all on one port."""

from __future__ import annotations

import json
import subprocess

import pytest

from kinesis_helpers import make_client, run_aws, unique_name, wait_status

pytestmark = pytest.mark.cli


def _cert(srv) -> str:
    return str(srv.data_dir / "tls" / "self-signed.pem")


def test_self_signed_tls_serves_boto3_and_the_cli(riffle_factory):
    srv = riffle_factory("--tls")
    assert srv.endpoint.startswith("https://")
    client = make_client(srv.endpoint, verify=_cert(srv))
    name = unique_name("tls")
    client.create_stream(StreamName=name, ShardCount=1)
    wait_status(client, name)
    put = client.put_record(StreamName=name, PartitionKey="k", Data=b"over tls")
    it = client.get_shard_iterator(StreamName=name, ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON")
    recs = client.get_records(ShardIterator=it["ShardIterator"])["Records"]
    assert [r["Data"] for r in recs] == [b"over tls"]

    out = run_aws(srv.endpoint, "list-streams", "--ca-bundle", _cert(srv)).ok().json
    assert name in out["StreamNames"]


def test_untrusted_certificate_is_refused(riffle_factory):
    srv = riffle_factory("--tls")
    client = make_client(srv.endpoint)  # default trust store: our self-signed cert is not in it
    with pytest.raises(Exception) as info:
        client.list_streams()
    assert "SSL" in type(info.value).__name__ or "certificate" in str(info.value).lower()


def test_tls_with_given_files_and_alpn_h2(riffle_factory, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    srv = riffle_factory("--tls-cert", str(cert), "--tls-key", str(key))
    body = json.dumps({}).encode()
    headers = ["-H", "X-Amz-Target: Kinesis_20131202.ListStreams", "-H", "Content-Type: application/x-amz-json-1.1"]
    for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
        out = subprocess.run(
            ["curl", "-s", flag, "--cacert", str(cert), "-X", "POST", srv.endpoint + "/", *headers,
             "--data-binary", body, "-w", "\n%{http_version} %{http_code}"],
            check=True, capture_output=True, text=True,
        ).stdout
        payload, status = out.rsplit("\n", 1)
        assert status == f"{version} 200", out
        assert json.loads(payload)["StreamNames"] == []


def test_plain_http_to_a_tls_port_fails_cleanly(riffle_factory):
    srv = riffle_factory("--tls")
    plain = make_client(srv.endpoint.replace("https://", "http://"))
    with pytest.raises(Exception):
        plain.list_streams()
    # The server keeps serving TLS clients afterwards.
    assert make_client(srv.endpoint, verify=_cert(srv)).list_streams()["StreamNames"] == []
