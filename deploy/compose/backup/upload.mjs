/* global process, console */
// Uploads one file to s3://bucket/key with the AWS SDK drill itself ships (the image's /app):
// endpoint, region, keys and checksum mode all come from the environment, as drill's own
// clients get them, so this upload goes wherever drill's restore will look.
import { createReadStream, statSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire("/app/package.json");
const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");

const [file, url] = process.argv.slice(2);
const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url ?? "");
if (!file || !match) {
  console.error("usage: node upload.mjs <file> s3://bucket/key");
  process.exit(2);
}
const s3 = new S3Client({});
await s3.send(
  new PutObjectCommand({
    Bucket: match[1],
    Key: match[2],
    Body: createReadStream(file),
    ContentLength: statSync(file).size,
  }),
);
s3.destroy();
