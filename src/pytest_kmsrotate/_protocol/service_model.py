"""botocore's KMS service model: the contract for every request and response shape."""

from __future__ import annotations

import functools

from botocore.model import OperationModel, ServiceModel


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """botocore's KMS model, loaded once per process."""
    import botocore.session

    return botocore.session.get_session().get_service_model("kms")


@functools.lru_cache(maxsize=128)
def operation_model(operation: str) -> OperationModel | None:
    """The model of `operation`, or None for one newer than the installed botocore knows."""
    model = service_model()
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation)
