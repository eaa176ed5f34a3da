import type { Environment } from "../definitions/config.js";
import type { Logger } from "../log.js";
import type { Provider } from "./types.js";

export interface ProviderContext {
  /** Project root: the local provider keeps its clusters under `<root>/.drill/`. */
  root: string;
  environmentName: string;
  log: Logger;
  /** `drill plan --offline`: plans describe the cloud calls instead of making them. */
  offline?: boolean;
  /** The drill being run, for the `drill:drill` tag (taken from the run id when absent). */
  drill?: string;
}

/** Providers are imported on use, so `drill validate` never loads database or cloud code. */
export async function createProvider(env: Environment, ctx: ProviderContext): Promise<Provider> {
  switch (env.provider) {
    case "local": {
      // s3:// archives and s3-restore work locally too; the SDK is imported only if S3 is used.
      const { LocalS3Provider } = await import("./aws/local-s3.js");
      return new LocalS3Provider(
        {
          root: ctx.root,
          environment: env,
          environmentName: ctx.environmentName,
          log: ctx.log,
        },
        ctx.offline ? { offline: true } : {},
      );
    }
    case "aws": {
      const { AwsProvider } = await import("./aws/provider.js");
      return new AwsProvider({
        root: ctx.root,
        environment: env,
        environmentName: ctx.environmentName,
        log: ctx.log,
        ...(ctx.offline ? { offline: true } : {}),
        ...(ctx.drill ? { drill: ctx.drill } : {}),
      });
    }
  }
}
