/** An `aws` environment as config/drill.yaml writes it, indented under `environments:`. */
export const awsEnvironmentYaml = (name: string, production: string) =>
  `  ${name}:
    provider: aws
    region: eu-west-1
    production: ${production}
    staging: { instanceClass: db.t4g.medium, subnetGroup: staging-isolated, securityGroups: [sg-0123456789abcdef0], runnerSecurityGroup: sg-0fedcba987654321f, ttl: 6h }
`;
