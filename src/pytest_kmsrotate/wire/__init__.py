"""The wire adapter: AWS JSON 1.1 in and out of botocore."""
