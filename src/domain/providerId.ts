// Kubernetes nodes on AWS carry spec.providerID = aws:///<availability-zone>/<instance-id>.
// Pure, so the workflow itself can fall back on it when the node agent cannot answer.

export interface ProviderIdParts {
  instanceId: string;
  availabilityZone: string;
  region: string;
}

const PROVIDER_ID = /^aws:\/\/\/([a-z]{2}(?:-[a-z]+)+-\d[a-z])\/(i-[0-9a-f]{8,17})$/;

export function parseProviderId(providerID: string): ProviderIdParts | undefined {
  const match = PROVIDER_ID.exec(providerID.trim());
  if (!match) return undefined;
  const [, availabilityZone, instanceId] = match;
  return { instanceId, availabilityZone, region: regionOfZone(availabilityZone) };
}

/** eu-west-1a → eu-west-1 (also local-zone style us-west-2-lax-1a → us-west-2). */
export function regionOfZone(availabilityZone: string): string {
  const match = /^([a-z]{2}-[a-z]+-\d)/.exec(availabilityZone);
  return match ? match[1] : availabilityZone.replace(/[a-z]$/, '');
}
