// The CLI ships as one bundle (plus lazily loaded chunks): loading ~300 small ESM files of zod
// and our own modules cost drill --help / validate ~0.4 s; bundled they start in ~0.2 s.
// zod, yaml and commander are devDependencies because they are bundled; every runtime
// dependency (native parts, large SDKs, lazily loaded) stays external.
import { readFileSync } from "node:fs";
import { URL } from "node:url";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const external = Object.keys(pkg.dependencies);

export default {
  input: { drill: "src/cli/main.ts" },
  platform: "node",
  external: (id) => external.some((d) => id === d || id.startsWith(`${d}/`)),
  output: {
    dir: "dist",
    format: "esm",
    sourcemap: true,
    chunkFileNames: "chunks/[name]-[hash].js",
  },
};
