"""The AWS partition of a region (aws, aws-cn, aws-us-gov, ...), from botocore's endpoint data.

The core builds every ARN with the partition it is given and imports nothing of botocore, so
the protocol side hands this function to the engine (`Engine(partition_of=...)`). The mapping is
read from botocore's `endpoints.json` at run time (its `regions` and `regionRegex`), never copied.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def _resolver() -> Any:
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver

    return EndpointResolver(create_loader().load_data("endpoints"))


@functools.lru_cache(maxsize=256)
def partition_of(region: str) -> str:
    """`aws-cn` for cn-north-1, `aws-us-gov` for us-gov-west-1; `aws` for a region botocore does not know."""
    from botocore.exceptions import UnknownRegionError

    try:
        return str(_resolver().get_partition_for_region(region))
    except UnknownRegionError:
        return "aws"
