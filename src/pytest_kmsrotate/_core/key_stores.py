"""Custom key stores: CloudHSM and external (XKS) key stores, their lifecycle and connection states.

There is no CloudHSM cluster or external key manager behind a store: a well-formed cluster ID or
proxy configuration is taken as working, so connecting succeeds. Connecting is immediate (AWS
shows CONNECTING for up to 20 minutes first; the fake goes straight to CONNECTED). While a store
is disconnected its keys are `Unavailable`, as AWS shows them, and they come back on reconnect.
Sources are in docs/fidelity.md "Custom key stores".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import errors
from .errors import KMSError
from .model import UNAVAILABLE, Key
from .paging import marker_secret, page
from .state import Request, State

CLOUDHSM, XKS = "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"
CONNECTED, DISCONNECTED = "CONNECTED", "DISCONNECTED"
# DescribeCustomKeyStores Limit: the model's maximum, 1000 (default inferred to be the same).
LIST_MAX = 1000


@dataclass
class KeyStore:
    store_id: str
    name: str
    store_type: str
    account: str
    region: str
    creation_date: datetime
    state: str = DISCONNECTED
    cluster_id: str | None = None
    trust_anchor: str | None = None
    xks: dict[str, Any] = field(default_factory=dict)  # the XksProxyConfiguration AWS shows
    # Key ARN -> its state before the store disconnected, restored on reconnect.
    parked: dict[str, str] = field(default_factory=dict)


def _stores(state: State) -> dict[str, KeyStore]:
    return state.custom_key_stores


def _not_found() -> KMSError:
    return KMSError("CustomKeyStoreNotFoundException")  # inferred: AWS's text is not recorded


def _invalid_state(store: KeyStore, operation: str) -> KMSError:
    # inferred text; the code is the model's.
    return KMSError(
        "CustomKeyStoreInvalidStateException",
        f"Custom key store {store.store_id} is {store.state}, which is not valid for {operation}.",
    )


def _store(state: State, request: Request, store_id: str) -> KeyStore:
    store = _stores(state).get(store_id)
    if store is None or (store.account, store.region) != (request.account, request.region):
        raise _not_found()
    return store


def _keys_in(state: State, store: KeyStore) -> list[Key]:
    return [k for k in state.keys.values() if k.custom_key_store_id == store.store_id]


def _check_name_free(state: State, request: Request, name: str, but: str | None = None) -> None:
    for other in _stores(state).values():
        if (other.account, other.region, other.name) == (request.account, request.region, name) \
                and other.store_id != but:
            # inferred text; the code is the model's.
            raise KMSError("CustomKeyStoreNameInUseException", f"Custom key store name {name} is already in use.")


def _xks_configuration(p: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(current or {})
    for member, shown in (("XksProxyConnectivity", "Connectivity"), ("XksProxyUriEndpoint", "UriEndpoint"),
                          ("XksProxyUriPath", "UriPath"), ("XksProxyVpcEndpointServiceName", "VpcEndpointServiceName"),
                          ("XksProxyVpcEndpointServiceOwner", "VpcEndpointServiceOwner")):
        if p.get(member) is not None:
            config[shown] = p[member]
    credential = p.get("XksProxyAuthenticationCredential")
    if credential is not None:
        config["AccessKeyId"] = credential["AccessKeyId"]  # the secret is never shown back
    return config


def _require(p: Mapping[str, Any], members: tuple[str, ...], store_type: str) -> None:
    missing = [m for m in members if p.get(m) is None]
    if missing:
        raise errors.validation(f"{missing[0]} is required for CustomKeyStoreType {store_type}.")  # inferred


def _forbid(p: Mapping[str, Any], members: tuple[str, ...], store_type: str) -> None:
    present = [m for m in members if p.get(m) is not None]
    if present:
        raise errors.validation(f"{present[0]} is not valid for CustomKeyStoreType {store_type}.")  # inferred


_CLOUDHSM_MEMBERS = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
_XKS_MEMBERS = ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential", "XksProxyConnectivity")
_XKS_OPTIONAL = ("XksProxyVpcEndpointServiceName", "XksProxyVpcEndpointServiceOwner")


def _check_xks(state: State, p: Mapping[str, Any], config: Mapping[str, Any], but: str | None = None) -> None:
    vpc = config.get("Connectivity") == "VPC_ENDPOINT_SERVICE"
    if vpc and not config.get("VpcEndpointServiceName"):
        raise errors.validation(
            "XksProxyVpcEndpointServiceName is required for XksProxyConnectivity VPC_ENDPOINT_SERVICE.")  # inferred
    if not vpc and p.get("XksProxyVpcEndpointServiceName") is not None:
        raise errors.validation(
            "XksProxyVpcEndpointServiceName is not valid for XksProxyConnectivity PUBLIC_ENDPOINT.")  # inferred
    for other in _stores(state).values():
        if other.store_type == XKS and other.store_id != but and \
                (other.xks.get("UriEndpoint"), other.xks.get("UriPath")) == (config.get("UriEndpoint"),
                                                                             config.get("UriPath")):
            raise KMSError("XksProxyUriInUseException", "The XKS proxy URI is already in use.")  # inferred


def create_custom_key_store(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    store_type = p.get("CustomKeyStoreType", CLOUDHSM)
    _check_name_free(state, request, p["CustomKeyStoreName"])
    store = KeyStore(
        store_id="cks-" + state.ids.token("custom-key-store")[:17], name=p["CustomKeyStoreName"],
        store_type=store_type, account=request.account, region=request.region, creation_date=request.now,
    )
    if store_type == CLOUDHSM:
        _require(p, _CLOUDHSM_MEMBERS, store_type)
        _forbid(p, _XKS_MEMBERS + _XKS_OPTIONAL, store_type)
        for other in _stores(state).values():
            if other.cluster_id == p["CloudHsmClusterId"]:
                # Model: CloudHsmClusterInUseException; text inferred.
                cluster = p["CloudHsmClusterId"]
                raise KMSError("CloudHsmClusterInUseException",
                               f"CloudHSM cluster {cluster} is already associated with a custom key store.")
        store.cluster_id, store.trust_anchor = p["CloudHsmClusterId"], p["TrustAnchorCertificate"]
    else:
        _require(p, _XKS_MEMBERS, store_type)
        _forbid(p, _CLOUDHSM_MEMBERS, store_type)
        store.xks = _xks_configuration(p)
        _check_xks(state, p, store.xks)
    _stores(state)[store.store_id] = store
    return {"CustomKeyStoreId": store.store_id}


def _entry(store: KeyStore) -> dict[str, Any]:
    entry: dict[str, Any] = {"CustomKeyStoreId": store.store_id, "CustomKeyStoreName": store.name}
    if store.store_type == CLOUDHSM:
        entry["CloudHsmClusterId"] = store.cluster_id
        entry["TrustAnchorCertificate"] = store.trust_anchor
    entry["ConnectionState"] = store.state
    entry["CreationDate"] = store.creation_date
    entry["CustomKeyStoreType"] = store.store_type
    if store.store_type == XKS:
        entry["XksProxyConfiguration"] = dict(store.xks)
    return entry


def describe_custom_key_stores(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    store_id, name = p.get("CustomKeyStoreId"), p.get("CustomKeyStoreName")
    stores = [s for s in _stores(state).values() if (s.account, s.region) == (request.account, request.region)]
    if store_id is not None or name is not None:
        stores = [s for s in stores if (store_id is None or s.store_id == store_id)
                  and (name is None or s.name == name)]
        if not stores:
            raise _not_found()  # API reference: an unknown ID or name is CustomKeyStoreNotFoundException
    limit = min(int(p.get("Limit", LIST_MAX)), LIST_MAX)
    scope = f"DescribeCustomKeyStores:{request.account}:{request.region}:{store_id}:{name}"
    return page([_entry(s) for s in stores], limit, p.get("Marker"), scope, "CustomKeyStores",
                secret=marker_secret(state))


def connect_custom_key_store(state: State, request: Request) -> dict[str, Any]:
    store = _store(state, request, request.params["CustomKeyStoreId"])
    if store.state == CONNECTED:
        return {}  # inferred: connecting a connected store changes nothing
    if store.state != DISCONNECTED:
        raise _invalid_state(store, "ConnectCustomKeyStore")
    store.state = CONNECTED
    for key in _keys_in(state, store):
        previous = store.parked.pop(key.arn, None)
        if previous is not None and key.key_state == UNAVAILABLE:
            key.key_state = previous
    return {}


def disconnect_custom_key_store(state: State, request: Request) -> dict[str, Any]:
    store = _store(state, request, request.params["CustomKeyStoreId"])
    if store.state != CONNECTED:
        raise _invalid_state(store, "DisconnectCustomKeyStore")
    store.state = DISCONNECTED
    for key in _keys_in(state, store):
        # Key-state docs: the keys of a disconnected store are Unavailable (pending deletion stays).
        if key.key_state != "PendingDeletion":
            store.parked[key.arn] = key.key_state
            key.key_state = UNAVAILABLE
    return {}


def update_custom_key_store(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    store = _store(state, request, p["CustomKeyStoreId"])
    others = [m for m in p if m not in ("CustomKeyStoreId", "NewCustomKeyStoreName")]
    if others and store.state != DISCONNECTED:
        # API reference: only the name may change while the store is connected.
        raise _invalid_state(store, "UpdateCustomKeyStore")
    if store.store_type == CLOUDHSM:
        _forbid(p, _XKS_MEMBERS + _XKS_OPTIONAL, store.store_type)
    else:
        _forbid(p, _CLOUDHSM_MEMBERS, store.store_type)
        config = _xks_configuration(p, store.xks)
        _check_xks(state, p, config, but=store.store_id)
        store.xks = config
    if p.get("NewCustomKeyStoreName") is not None:
        _check_name_free(state, request, p["NewCustomKeyStoreName"], but=store.store_id)
        store.name = p["NewCustomKeyStoreName"]
    if p.get("CloudHsmClusterId") is not None:
        store.cluster_id = p["CloudHsmClusterId"]
    return {}


def delete_custom_key_store(state: State, request: Request) -> dict[str, Any]:
    store = _store(state, request, request.params["CustomKeyStoreId"])
    if store.state != DISCONNECTED:
        raise _invalid_state(store, "DeleteCustomKeyStore")
    if _keys_in(state, store):
        # Model: CustomKeyStoreHasCMKsException; text inferred.
        raise KMSError("CustomKeyStoreHasCMKsException",
                       f"Custom key store {store.store_id} contains KMS keys; delete them first.")
    del _stores(state)[store.store_id]
    return {}


def store_for_new_key(state: State, request: Request, store_id: str, origin: str, xks_key_id: str | None) -> KeyStore:
    """The store CreateKey puts a key in: it must exist, be connected and be of the key's origin."""
    store = _store(state, request, store_id)
    if store.state != CONNECTED:
        raise _invalid_state(store, "CreateKey")
    if store.store_type != origin:
        # inferred code and text: the origin must name the store's type.
        raise errors.validation(f"Origin {origin} is not valid for a custom key store of type {store.store_type}.")
    if xks_key_id is not None:
        for key in _keys_in(state, store):
            if key.xks_key_id == xks_key_id:
                raise KMSError("XksKeyAlreadyInUseException",
                               f"XksKeyId {xks_key_id} is already associated with a KMS key in this store.")  # inferred
    return store


OPERATIONS = {
    "CreateCustomKeyStore": create_custom_key_store,
    "DescribeCustomKeyStores": describe_custom_key_stores,
    "ConnectCustomKeyStore": connect_custom_key_store,
    "DisconnectCustomKeyStore": disconnect_custom_key_store,
    "UpdateCustomKeyStore": update_custom_key_store,
    "DeleteCustomKeyStore": delete_custom_key_store,
}


def check_random_source(state: State, request: Request, store_id: str) -> None:
    """GenerateRandom with CustomKeyStoreId: a connected CloudHSM store makes the bytes."""
    store = _store(state, request, store_id)
    if store.store_type != CLOUDHSM:
        # API reference: "External key store IDs are not valid for this parameter"; text inferred.
        raise errors.unsupported(f"CustomKeyStoreType {store.store_type} is not valid for GenerateRandom.")
    if store.state != CONNECTED:
        raise _invalid_state(store, "GenerateRandom")
