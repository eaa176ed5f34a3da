/**
 * An S3 bucket restore, as the `s3-restore` step drives it: pick each object's version as of a
 * time (bucket-versions.ts), copy those into the run's staging bucket and prove the copies match
 * the source (bucket-copy.ts).
 */
export { chooseAsOf, ensureRestorable, listVersions, type Chosen } from "./bucket-versions.js";
export { copyAll, copySource, verifyCopies } from "./bucket-copy.js";
