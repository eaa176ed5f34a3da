import type { AwsEnvironment } from "../definitions/config.js";
import type { AwsClients } from "../providers/aws/clients.js";
import type { FleetLister } from "./collect.js";

/**
 * The listing `drill coverage` and the daemon use: the provider's own. AWS clients come from the
 * SDK's default chain unless `clientsFor` gives others; the AWS code is loaded only when needed.
 */
export function providerFleet(clientsFor?: (env: AwsEnvironment) => AwsClients): FleetLister {
  return async (_name, env) => {
    if (env.provider === "local")
      return (await import("../providers/local/fleet.js")).listLocalFleet();
    const { defaultClients } = await import("../providers/aws/clients.js");
    const { listFleet } = await import("../providers/aws/fleet.js");
    return listFleet(clientsFor?.(env) ?? defaultClients(env.region));
  };
}
