"""botocore's KMS service model: the contract for every request and response shape."""

from __future__ import annotations

import functools

from botocore.model import OperationModel, ServiceModel

from .._core.enum_order import ModelEnums


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


@functools.lru_cache(maxsize=1)
def model_enums() -> ModelEnums:
    """Every enum shape of the installed model: shape name -> its values, in the model's order.

    One object per process: the core caches what it derives from it (`keyspecs.catalog`) by
    identity, so every fake after the first finds its catalog made."""
    model = service_model()
    found: dict[str, tuple[str, ...]] = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.type_name == "string" and shape.enum:
            found[name] = tuple(str(value) for value in shape.enum)
    return ModelEnums(found)
