"""Custom key stores (issue 15): CloudHSM and external key stores, lifecycle and connection states."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._key_stores import XKS_CREDENTIAL, cloudhsm_params, connected_store, xks_params
from tests.conftest import error_of

Check = Callable[[str, dict[str, Any]], dict[str, Any]]


def describe(kms: Any, store_id: str) -> dict[str, Any]:
    [entry] = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"]
    return entry  # type: ignore[no-any-return]


def invalid_state(store_id: str, state: str, operation: str) -> tuple[str, str]:
    return ("CustomKeyStoreInvalidStateException",
            f"Custom key store {store_id} is {state}, which is not valid for {operation}.")


def test_a_cloudhsm_store_is_created_disconnected(kms: Any, shape_checked: Check) -> None:
    created = shape_checked("CreateCustomKeyStore", kms.create_custom_key_store(**cloudhsm_params()))
    store_id = created["CustomKeyStoreId"]
    assert store_id.startswith("cks-") and len(store_id) == 21
    listed = shape_checked("DescribeCustomKeyStores", kms.describe_custom_key_stores())
    [entry] = listed["CustomKeyStores"]
    assert entry["CustomKeyStoreId"] == store_id and entry["CustomKeyStoreName"] == "hsm-store"
    assert (entry["CustomKeyStoreType"], entry["ConnectionState"]) == ("AWS_CLOUDHSM", "DISCONNECTED")
    assert entry["CloudHsmClusterId"] == "cluster-234567abcdefg" and "XksProxyConfiguration" not in entry


def test_an_external_store_shows_its_proxy_but_not_its_secret(kms: Any, shape_checked: Check) -> None:
    store_id = kms.create_custom_key_store(**xks_params())["CustomKeyStoreId"]
    entry = shape_checked("DescribeCustomKeyStores", kms.describe_custom_key_stores(CustomKeyStoreName="xks-store"))
    [entry] = entry["CustomKeyStores"]
    assert entry["CustomKeyStoreId"] == store_id and entry["CustomKeyStoreType"] == "EXTERNAL_KEY_STORE"
    assert entry["XksProxyConfiguration"] == {
        "Connectivity": "PUBLIC_ENDPOINT", "AccessKeyId": XKS_CREDENTIAL["AccessKeyId"],
        "UriEndpoint": "https://xks.example.com", "UriPath": "/kms/xks/v1"}
    assert "CloudHsmClusterId" not in entry


def test_connect_and_disconnect_move_the_keys_states(kms: Any, shape_checked: Check) -> None:
    store_id = connected_store(kms)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    key = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]
    disabled = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    shape_checked("DisconnectCustomKeyStore", kms.disconnect_custom_key_store(CustomKeyStoreId=store_id))
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"
    for k in (key, disabled):
        assert kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "Unavailable"
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is unavailable.")
    shape_checked("ConnectCustomKeyStore", kms.connect_custom_key_store(CustomKeyStoreId=store_id))
    states = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in (key, disabled)]
    assert states == ["Enabled", "Disabled"]


def test_create_key_needs_a_connected_store_of_its_origin(kms: Any) -> None:
    store_id = kms.create_custom_key_store(**cloudhsm_params())["CustomKeyStoreId"]
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert error_of(excinfo) == invalid_state(store_id, "DISCONNECTED", "CreateKey")
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="k")
    assert error_of(excinfo) == (
        "ValidationException", "Origin EXTERNAL_KEY_STORE is not valid for a custom key store of type AWS_CLOUDHSM.")
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-234567abcdef23456")
    assert error_of(excinfo) == ("CustomKeyStoreNotFoundException", "")


def test_an_xks_key_id_is_used_once_per_store(kms: Any) -> None:
    store_id = connected_store(kms, "EXTERNAL_KEY_STORE")
    kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="ext-1")
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="ext-1")
    assert error_of(excinfo) == (
        "XksKeyAlreadyInUseException", "XksKeyId ext-1 is already associated with a KMS key in this store.")


def test_names_clusters_and_proxy_uris_are_unique(kms: Any) -> None:
    kms.create_custom_key_store(**cloudhsm_params())
    kms.create_custom_key_store(**xks_params())
    for params, expected in (
        (cloudhsm_params(cluster="cluster-765432abcdefg"),
         ("CustomKeyStoreNameInUseException", "Custom key store name hsm-store is already in use.")),
        (cloudhsm_params(name="other"), ("CloudHsmClusterInUseException",
                                         "CloudHSM cluster cluster-234567abcdefg is already associated with a "
                                         "custom key store.")),
        (xks_params(name="other"), ("XksProxyUriInUseException", "The XKS proxy URI is already in use.")),
    ):
        with pytest.raises(ClientError) as excinfo:
            kms.create_custom_key_store(**params)
        assert error_of(excinfo) == expected


@pytest.mark.parametrize(
    "params, message",
    [
        ({"CustomKeyStoreName": "s"}, "CloudHsmClusterId is required for CustomKeyStoreType AWS_CLOUDHSM."),
        ({**cloudhsm_params(), "XksProxyUriPath": "/kms/xks/v1"},
         "XksProxyUriPath is not valid for CustomKeyStoreType AWS_CLOUDHSM."),
        ({"CustomKeyStoreName": "s", "CustomKeyStoreType": "EXTERNAL_KEY_STORE"},
         "XksProxyUriEndpoint is required for CustomKeyStoreType EXTERNAL_KEY_STORE."),
        ({**xks_params(), "XksProxyConnectivity": "VPC_ENDPOINT_SERVICE"},
         "XksProxyVpcEndpointServiceName is required for XksProxyConnectivity VPC_ENDPOINT_SERVICE."),
    ],
)
def test_create_custom_key_store_validation(kms: Any, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(**params)
    assert error_of(excinfo) == ("ValidationException", message)


def test_state_rules_of_connect_disconnect_update_delete(kms: Any) -> None:
    store_id = kms.create_custom_key_store(**cloudhsm_params())["CustomKeyStoreId"]
    with pytest.raises(ClientError) as excinfo:
        kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo) == invalid_state(store_id, "DISCONNECTED", "DisconnectCustomKeyStore")
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # already connected: nothing changes
    with pytest.raises(ClientError) as excinfo:
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo) == invalid_state(store_id, "CONNECTED", "DeleteCustomKeyStore")
    with pytest.raises(ClientError) as excinfo:
        kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword="new-password")
    assert error_of(excinfo) == invalid_state(store_id, "CONNECTED", "UpdateCustomKeyStore")
    kms.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed")  # allowed connected
    assert describe(kms, store_id)["CustomKeyStoreName"] == "renamed"
    key = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    with pytest.raises(ClientError) as excinfo:
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo) == (
        "CustomKeyStoreHasCMKsException", f"Custom key store {store_id} contains KMS keys; delete them first.")
    kms.update_custom_key_store(CustomKeyStoreId=store_id, CloudHsmClusterId="cluster-765432abcdefg")
    assert describe(kms, store_id)["CloudHsmClusterId"] == "cluster-765432abcdefg"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError):  # a key pending deletion is still in the store
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)


def test_delete_an_empty_disconnected_store(kms: Any, shape_checked: Check) -> None:
    store_id = kms.create_custom_key_store(**xks_params())["CustomKeyStoreId"]
    shape_checked("UpdateCustomKeyStore",
                  kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyUriPath="/prefix/kms/xks/v1"))
    assert describe(kms, store_id)["XksProxyConfiguration"]["UriPath"] == "/prefix/kms/xks/v1"
    shape_checked("DeleteCustomKeyStore", kms.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert kms.describe_custom_key_stores()["CustomKeyStores"] == []


@pytest.mark.parametrize("call", [
    lambda kms: kms.describe_custom_key_stores(CustomKeyStoreId="cks-234567abcdef23456"),
    lambda kms: kms.describe_custom_key_stores(CustomKeyStoreName="nowhere"),
    lambda kms: kms.connect_custom_key_store(CustomKeyStoreId="cks-234567abcdef23456"),
    lambda kms: kms.disconnect_custom_key_store(CustomKeyStoreId="cks-234567abcdef23456"),
    lambda kms: kms.update_custom_key_store(CustomKeyStoreId="cks-234567abcdef23456", NewCustomKeyStoreName="n"),
    lambda kms: kms.delete_custom_key_store(CustomKeyStoreId="cks-234567abcdef23456"),
])
def test_unknown_stores(kms: Any, call: Callable[[Any], Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(kms)
    assert error_of(excinfo) == ("CustomKeyStoreNotFoundException", "")


def test_describe_pages(kms: Any) -> None:
    ids = [kms.create_custom_key_store(**xks_params(name=f"s{i}", endpoint=f"https://xks{i}.example.com"))
           ["CustomKeyStoreId"] for i in range(3)]
    first = kms.describe_custom_key_stores(Limit=2)
    assert first["Truncated"] is True
    rest = kms.describe_custom_key_stores(Marker=first["NextMarker"])
    assert [s["CustomKeyStoreId"] for s in first["CustomKeyStores"] + rest["CustomKeyStores"]] == ids


def test_rotation_refusal_for_an_external_store_key_names_its_origin(kms: Any) -> None:
    store_id = connected_store(kms, "EXTERNAL_KEY_STORE")
    arn = kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=store_id, XksKeyId="x")["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=arn)
    assert error_of(excinfo) == (
        "UnsupportedOperationException", f"{arn} origin is EXTERNAL_KEY_STORE which is not valid for this operation.")


def test_generate_random_in_a_cloudhsm_store(kms: Any, shape_checked: Check) -> None:
    hsm = kms.create_custom_key_store(**cloudhsm_params())["CustomKeyStoreId"]
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=hsm)
    assert error_of(excinfo) == invalid_state(hsm, "DISCONNECTED", "GenerateRandom")
    kms.connect_custom_key_store(CustomKeyStoreId=hsm)
    random = shape_checked("GenerateRandom", kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=hsm))
    assert len(random["Plaintext"]) == 8
    xks = connected_store(kms, "EXTERNAL_KEY_STORE")
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=xks)
    assert error_of(excinfo) == (
        "UnsupportedOperationException", "CustomKeyStoreType EXTERNAL_KEY_STORE is not valid for GenerateRandom.")
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId="cks-234567abcdef23456")
    assert error_of(excinfo) == ("CustomKeyStoreNotFoundException", "")
