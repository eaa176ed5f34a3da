import type { Environment } from "../definitions/config.js";
import type { Logger } from "../log.js";
import type { Provider } from "./types.js";

export interface ProviderContext {
  /** Project root: the local provider keeps its clusters under `<root>/.drill/`. */
  root: string;
  environmentName: string;
  log: Logger;
}

/** Providers are imported on use, so `drill validate` never loads database or cloud code. */
export async function createProvider(env: Environment, ctx: ProviderContext): Promise<Provider> {
  switch (env.provider) {
    case "local": {
      const { LocalProvider } = await import("./local/provider.js");
      return new LocalProvider({
        root: ctx.root,
        environment: env,
        environmentName: ctx.environmentName,
        log: ctx.log,
      });
    }
  }
}
