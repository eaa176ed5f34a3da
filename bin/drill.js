#!/usr/bin/env node
// The pinned AWS SDK runs on Node 20; its notice that later releases will need Node 22 is for
// whoever upgrades the SDK (us), not for a drill user, and would land in every run's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { exitWhenFlushed, main } = await import("../dist/drill.js");

main(process.argv.slice(2)).then((code) => exitWhenFlushed(code));
