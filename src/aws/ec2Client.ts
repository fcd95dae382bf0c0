// The one place EC2 clients are built: endpoint override (moto / the dev proxy) and retry budget.
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';

export interface Ec2ClientSettings {
  region: string;
  /** e.g. http://127.0.0.1:5000 for moto or the dev proxy; the real regional endpoint when absent. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK-level attempts per call. Temporal retries activities too, so callers usually keep this small. */
  maxAttempts?: number;
}

export function createEc2Client(settings: Ec2ClientSettings): EC2Client {
  const config: EC2ClientConfig = { region: settings.region };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.credentials) config.credentials = settings.credentials;
  if (settings.maxAttempts !== undefined) config.maxAttempts = settings.maxAttempts;
  return new EC2Client(config);
}
