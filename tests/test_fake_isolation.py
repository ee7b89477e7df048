"""Two fakes in one process are strangers: same names (determinism), different secrets.

Two `with KmsRotation():` blocks made from the same seed (or a re-run of one test node, as
pytest-rerunfailures does) create keys with the same key IDs, but the second refuses the
first's ciphertexts, MACs, signatures, pagination markers and import tokens, as a different AWS
account would; a key the second fake never made is NotFoundException there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from pytest_kmsrotate import Config, KmsRotation

from .conftest import assert_matches_output_shape, error_of, sent_no_message

SEED = "tests/test_fake_isolation.py::same-node"


def _session(fake: KmsRotation) -> dict[str, Any]:
    """Everything one fake hands out that another fake must refuse."""
    client = boto3.client("kms", region_name="us-east-1")
    symmetric = client.create_key()["KeyMetadata"]["KeyId"]
    client.create_key(Description="second, so ListKeys has a second page")
    hmac_key = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    signer = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    external = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = client.get_parameters_for_import(
        KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    encrypted = client.encrypt(KeyId=symmetric, Plaintext=b"secret", EncryptionContext={"k": "v"})
    page = client.list_keys(Limit=1)
    assert_matches_output_shape("ListKeys", page)
    return {
        "ids": [k["KeyId"] for k in client.list_keys()["Keys"]],
        "symmetric": symmetric,
        "blob": encrypted["CiphertextBlob"],
        "mac": client.generate_mac(KeyId=hmac_key, MacAlgorithm="HMAC_SHA_256", Message=b"m")["Mac"],
        "hmac_key": hmac_key,
        "signature": client.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"],
        "public_key": client.get_public_key(KeyId=signer)["PublicKey"],
        "signer": signer,
        "marker": page["NextMarker"],
        "external": external,
        "import_token": params["ImportToken"],
        "wrapping_key": params["PublicKey"],
    }


@pytest.fixture
def first_and_second() -> Iterator[tuple[dict[str, Any], Any]]:
    with KmsRotation(Config(seed=SEED)) as first:
        made = _session(first)
    with KmsRotation(Config(seed=SEED)) as second:
        yield made, second


def test_the_same_seed_names_keys_alike(first_and_second: tuple[dict[str, Any], Any]) -> None:
    made, second = first_and_second
    again = _session(second)
    assert again["ids"] == made["ids"]  # determinism: a re-run gets the same key IDs


def test_a_second_fake_refuses_the_first_fakes_data(first_and_second: tuple[dict[str, Any], Any]) -> None:
    made, second = first_and_second
    _session(second)  # the same key IDs exist in the second fake now
    client = boto3.client("kms", region_name="us-east-1")
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(CiphertextBlob=made["blob"], EncryptionContext={"k": "v"})
    assert error_of(excinfo)[0] == "InvalidCiphertextException" and sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(KeyId=made["symmetric"], CiphertextBlob=made["blob"], EncryptionContext={"k": "v"})
    assert error_of(excinfo)[0] == "InvalidCiphertextException" and sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        client.re_encrypt(CiphertextBlob=made["blob"], SourceEncryptionContext={"k": "v"},
                          DestinationKeyId=made["symmetric"])
    assert error_of(excinfo)[0] == "InvalidCiphertextException" and sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        client.list_keys(Limit=1, Marker=made["marker"])
    assert error_of(excinfo)[0] == "InvalidMarkerException" and sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        client.verify_mac(KeyId=made["hmac_key"], MacAlgorithm="HMAC_SHA_256", Message=b"m", Mac=made["mac"])
    assert error_of(excinfo)[0] == "KMSInvalidMacException" and sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        client.verify(KeyId=made["signer"], Message=b"m", Signature=made["signature"],
                      SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo)[0] == "KMSInvalidSignatureException" and sent_no_message(excinfo)
    assert client.get_public_key(KeyId=made["signer"])["PublicKey"] != made["public_key"]
    # Material wrapped for the first fake's import token is refused by the second.
    wrapping = serialization.load_der_public_key(made["wrapping_key"])
    wrapped = wrapping.encrypt(b"\x01" * 32, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    with pytest.raises(ClientError) as excinfo:
        client.import_key_material(KeyId=made["external"], ImportToken=made["import_token"],
                                   EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert error_of(excinfo)[0] == "InvalidImportTokenException" and sent_no_message(excinfo)


def test_a_key_the_second_fake_never_made_is_not_found(first_and_second: tuple[dict[str, Any], Any]) -> None:
    made, _second = first_and_second
    client = boto3.client("kms", region_name="us-east-1")
    with pytest.raises(ClientError) as excinfo:
        client.describe_key(KeyId=made["symmetric"])
    assert error_of(excinfo) == (
        "NotFoundException", f"Key 'arn:aws:kms:us-east-1:111122223333:key/{made['symmetric']}' does not exist")
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(CiphertextBlob=made["blob"], EncryptionContext={"k": "v"})
    assert error_of(excinfo)[0] == "InvalidCiphertextException" and sent_no_message(excinfo)


def test_imported_material_binds_its_blobs_to_its_fake() -> None:
    """The same bytes imported into the same key ID of two fakes still do not share ciphertexts."""
    material = b"\x07" * 32
    blobs = []
    for _ in range(2):
        with KmsRotation(Config(seed=SEED)):
            client = boto3.client("kms", region_name="us-east-1")
            key = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
            params = client.get_parameters_for_import(
                KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
            public = serialization.load_der_public_key(params["PublicKey"])
            wrapped = public.encrypt(material, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
            client.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                       ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
            for blob in blobs:  # the first fake's blob, offered to the second
                with pytest.raises(ClientError) as excinfo:
                    client.decrypt(CiphertextBlob=blob)
                assert error_of(excinfo)[0] == "InvalidCiphertextException" and sent_no_message(excinfo)
            blob = client.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
            assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"  # its own blob still opens
            blobs.append(blob)


def test_a_rerun_of_the_same_test_node_names_keys_alike_and_refuses_the_first_runs_data(
    pytester: pytest.Pytester,
) -> None:
    """What pytest-rerunfailures does (the same item run again in one process), done by a conftest."""
    pytester.makeconftest('''
        from _pytest.runner import runtestprotocol


        def pytest_runtest_protocol(item, nextitem):
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
            for _ in range(2):
                runtestprotocol(item, nextitem=nextitem, log=True)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
            return True
        ''')
    pytester.makepyfile('''
        import boto3
        import pytest
        from botocore.exceptions import ClientError

        FIRST_RUN = {}


        def test_runs_twice(kms_rotation):
            client = boto3.client("kms", region_name="us-east-1")
            key = client.create_key()["KeyMetadata"]["KeyId"]
            client.create_key()
            marker = client.list_keys(Limit=1)["NextMarker"]
            blob = client.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
            if not FIRST_RUN:
                FIRST_RUN.update(key=key, blob=blob, marker=marker)
                return
            assert key == FIRST_RUN["key"]  # the re-run names its key as the first run did
            with pytest.raises(ClientError) as excinfo:
                client.decrypt(CiphertextBlob=FIRST_RUN["blob"])
            assert excinfo.value.response["Error"] == {"Code": "InvalidCiphertextException", "Message": ""}
            with pytest.raises(ClientError) as excinfo:
                client.list_keys(Limit=1, Marker=FIRST_RUN["marker"])
            assert excinfo.value.response["Error"] == {"Code": "InvalidMarkerException", "Message": ""}
            assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
        ''')
    result = pytester.runpytest("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=2)
