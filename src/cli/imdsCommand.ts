// `eniflow imds [--json]`: what this machine's IMDS says, read exactly as the node agent reads it
// (the seed's variables, IMDSv2 first, IMDSv1 only where allowed). Exit 1 with the cause on stderr.
import { parseArgs } from 'node:util';
import { createImdsClient } from '../aws/imds';
import { ConfigError, loadImdsConfig, type ImdsConfig } from '../config/imdsEnv';
import type { ImdsInterface, ImdsVersion } from '../domain/types';
import { table } from './render';

export interface ImdsReport {
  instanceId: string;
  region: string;
  availabilityZone: string;
  imdsVersion: ImdsVersion;
  macs: ImdsInterface[];
  /** The base URL that answered. */
  endpoint: string;
  endpointMode: ImdsConfig['endpointMode'];
}

/** Reads the instance's identity; throws ImdsError (message = cause and the seed's remedy) or ConfigError. */
export async function readImdsReport(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): Promise<ImdsReport> {
  const config = loadImdsConfig(env);
  const answer = await createImdsClient(config, { log }).identity();
  const { instanceId, region, availabilityZone, macs } = answer.value;
  return { instanceId, region, availabilityZone, imdsVersion: answer.imdsVersion, macs, endpoint: config.endpoint, endpointMode: config.endpointMode };
}

export function renderImdsReport(r: ImdsReport): string {
  const head = [
    `instance ID        ${r.instanceId}`,
    `region             ${r.region}`,
    `availability zone  ${r.availabilityZone}`,
    `IMDS version       ${r.imdsVersion === 'v2' ? 'v2 (session token)' : 'v1 (no token)'}`,
    `endpoint           ${r.endpoint} (${r.endpointMode})`,
  ].join('\n');
  const macs = table(['MAC', 'DEVICE', 'INTERFACE'], r.macs.map((m) => [m.mac, String(m.deviceNumber), m.interfaceId]));
  return `${head}\n\n${macs}`;
}

/** The `imds` subcommand; returns the exit code (0 read, 1 IMDS could not be read, 2 bad usage or configuration). */
export async function runImdsCommand(args: string[]): Promise<number> {
  let json: boolean;
  let verbose: boolean;
  try {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' } } });
    json = Boolean(values.json);
    verbose = Boolean(values.verbose);
  } catch (err) {
    console.error(`eniflow imds: ${(err as Error).message}\nUsage: eniflow imds [--json] [--verbose]`);
    return 2;
  }
  try {
    const report = await readImdsReport(process.env, verbose ? (line) => console.error(line) : undefined);
    console.log(json ? JSON.stringify(report, null, 2) : renderImdsReport(report));
    return 0;
  } catch (err) {
    console.error(`eniflow imds: ${(err as Error).message}`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
