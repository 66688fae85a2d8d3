// AWS SDK for JavaScript v3 against the proxy (run by test_sts_js.py on Node 22).
//   MODE=exchange: STSClient AssumeRoleWithWebIdentityCommand at ENDPOINT/.sts, then
//                  S3Client GetObject/ListObjectsV2/HeadObject with those credentials.
//   MODE=provider: no exchange code: S3Client with the SDK's default credential chain,
//                  configured by AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN,
//                  AWS_ENDPOINT_URL_STS (set by the test).
// Input: env ENDPOINT, TOKEN (exchange), ROLE_ARN, BUCKET, KEY, ODP_NODE_MODULES.
// Output: one JSON line on stdout; errors are reported in it, exit status 0 unless the script breaks.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.ODP_NODE_MODULES, "noop.js"));
const { STSClient, AssumeRoleWithWebIdentityCommand } = require("@aws-sdk/client-sts");
const { S3Client, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } = require("@aws-sdk/client-s3");

const { ENDPOINT, TOKEN, ROLE_ARN, BUCKET, KEY, MODE = "exchange" } = process.env;
const out = { mode: MODE, sts: null, get: null, head: null, list: null, other: null, requests: [] };

// Records the path of every request the SDK sends (which route the STS call used).
const record = (client, name) => client.middlewareStack.add(
  (next) => async (args) => {
    out.requests.push({ client: name, method: args.request.method, path: args.request.path,
                        query: args.request.query, signed: !!args.request.headers?.authorization });
    return next(args);
  },
  { step: "finalizeRequest", priority: "low", name: `record-${name}` },
);

const err = (e) => ({ name: e.name, code: e.Code ?? e.code ?? e.name, status: e.$metadata?.httpStatusCode,
                      message: String(e.message).slice(0, 300) });

async function main() {
  let credentials;
  if (MODE === "exchange") {
    const sts = new STSClient({ region: "us-east-1", endpoint: `${ENDPOINT}/.sts`, maxAttempts: 1 });
    record(sts, "sts");
    try {
      const r = await sts.send(new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE_ARN, RoleSessionName: "js-sdk", WebIdentityToken: TOKEN, DurationSeconds: 900 }));
      out.sts = { subject: r.SubjectFromWebIdentityToken, audience: r.Audience, provider: r.Provider,
                  arn: r.AssumedRoleUser?.Arn, expiration: r.Credentials?.Expiration?.toISOString(),
                  hasKeys: !!(r.Credentials?.AccessKeyId && r.Credentials?.SecretAccessKey && r.Credentials?.SessionToken) };
      credentials = { accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey,
                      sessionToken: r.Credentials.SessionToken };
    } catch (e) {
      out.sts = { error: err(e) };
      return;
    }
  }
  const s3 = new S3Client({ region: "us-east-1", endpoint: ENDPOINT, forcePathStyle: true, maxAttempts: 1,
                            ...(credentials ? { credentials } : {}) });
  record(s3, "s3");
  try {
    const g = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    const bytes = Buffer.from(await g.Body.transformToByteArray());
    out.get = { status: g.$metadata.httpStatusCode, base64: bytes.toString("base64"), length: g.ContentLength };
  } catch (e) { out.get = { error: err(e) }; }
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    out.head = { status: h.$metadata.httpStatusCode, length: h.ContentLength, etag: h.ETag };
  } catch (e) { out.head = { error: err(e) }; }
  try {
    const l = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: KEY.split("/")[0] + "/" }));
    out.list = { keys: (l.Contents ?? []).map((c) => c.Key) };
  } catch (e) { out.list = { error: err(e) }; }
  try {
    await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "restricted-other-nope/x" }));
    out.other = { status: 200 };
  } catch (e) { out.other = { error: err(e) }; }
}

try {
  await main();
} catch (e) {
  out.fatal = String(e?.stack ?? e).slice(0, 2000);
}
process.stdout.write(JSON.stringify(out) + "\n");
