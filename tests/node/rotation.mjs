// Run by tests/test_endpoint_node.py (and shown in docs/subprocesses.md): the JavaScript SDK v3
// against the fake's endpoint, configured only by the environment the test hands it
// (AWS_ENDPOINT_URL_KMS, the throwaway credentials, AWS_REGION). Prints one JSON line.
import {
  CreateKeyCommand,
  KMSClient,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
} from "@aws-sdk/client-kms";

// LimitExceededException is throttling to the SDK's retry strategy: ask once, so the test sees it at once.
const kms = new KMSClient({ maxAttempts: 1 });

const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "from node" }));
const keyId = KeyMetadata.KeyId;
for (let i = 0; i < 10; i++) {
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
}
let refused = null;
try {
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
} catch (error) {
  refused = { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}
const { Rotations } = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }));
console.log(JSON.stringify({
  keyId,
  arn: KeyMetadata.Arn,
  rotations: Rotations.map((r) => r.RotationType),
  refused,
}));
