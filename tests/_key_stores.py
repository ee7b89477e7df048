"""Custom key stores for tests: a connected CloudHSM or external key store, made through the API."""

from __future__ import annotations

from typing import Any

TRUST_ANCHOR = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----"
XKS_CREDENTIAL = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "a" * 43}


def cloudhsm_params(name: str = "hsm-store", cluster: str = "cluster-234567abcdefg") -> dict[str, Any]:
    return {"CustomKeyStoreName": name, "CloudHsmClusterId": cluster, "TrustAnchorCertificate": TRUST_ANCHOR,
            "KeyStorePassword": "kmsuser-password"}


def xks_params(name: str = "xks-store", endpoint: str = "https://xks.example.com") -> dict[str, Any]:
    return {"CustomKeyStoreName": name, "CustomKeyStoreType": "EXTERNAL_KEY_STORE",
            "XksProxyUriEndpoint": endpoint, "XksProxyUriPath": "/kms/xks/v1",
            "XksProxyAuthenticationCredential": XKS_CREDENTIAL, "XksProxyConnectivity": "PUBLIC_ENDPOINT"}


def connected_store(kms: Any, store_type: str = "AWS_CLOUDHSM", **params: Any) -> str:
    """The ID of a new, connected store of `store_type`."""
    made = cloudhsm_params(**params) if store_type == "AWS_CLOUDHSM" else xks_params(**params)
    store_id: str = kms.create_custom_key_store(**made)["CustomKeyStoreId"]
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    return store_id
