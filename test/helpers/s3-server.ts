// An S3-compatible server on a loopback port for the object-store tests: s3rver, in this process, files in a temp
// dir. It speaks the S3 REST API (multipart, ranges, listing, presigned GETs) but checks no signature and no policy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  /** BLOB_STORE=s3 and the S3_* settings that point a coordinator at `bucket`. */
  envFor(bucket: string, more?: Record<string, string>): Record<string, string>;
  createBucket(name: string): Promise<void>;
  /** Every key in the bucket. */
  keys(bucket: string): Promise<string[]>;
  /** Stops the server and removes its files; a second call does nothing. */
  close(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
// The SDK's notice that its 2027 releases will need Node 22 says nothing about the test: keep it out of CI logs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'ceremony-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  let closed = false;
  return {
    endpoint,
    envFor: (bucket, more = {}) => ({
      BLOB_STORE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'on',
      ...more,
    }),
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    keys: async (bucket) => {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (page.Contents ?? []).map((o) => o.Key ?? '').sort();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
