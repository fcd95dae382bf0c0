// `eniflow doctor [--json]`: checks what the seed promises before a node is onboarded — IMDS reachable
// and over which version, the hop limit against IMDS_HOP_LIMIT, the IAM permissions (DryRun calls) for
// the hop limit and for ENIs, and the parsed configuration. A table of pass/warn/fail with remedies;
// exit 1 on any fail.
import { parseArgs } from 'node:util';
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  ModifyInstanceMetadataOptionsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { createEc2Client } from '../aws/ec2Client';
import { classifyAwsError } from '../aws/errors';
import { createImdsClient } from '../aws/imds';
import { instanceIdUnknownWarning, isImdsError } from '../aws/imdsMessages';
import { describeInstance } from '../aws/instances';
import { ConfigError, IMDS_VARIABLES, loadImdsConfig, type ImdsConfig, type ImdsVariable } from '../config/imdsEnv';
import type { InstanceFacts } from '../domain/types';
import { table } from './render';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  /** e.g. "imds", "hop-limit", "iam:ec2:CreateNetworkInterface", "config:IMDS_HOP_LIMIT". */
  name: string;
  status: CheckStatus;
  detail: string;
  remedy?: string;
}

export interface ConfigEntry {
  variable: ImdsVariable | 'AWS_REGION' | 'EC2_ENDPOINT';
  /** The effective value, as eniflow uses it. */
  value: string;
  isDefault: boolean;
}

export interface DoctorReport {
  ok: boolean;
  instanceId?: string;
  region?: string;
  config: ConfigEntry[];
  checks: DoctorCheck[];
}

/** What eniflow calls: the seed's two for the hop limit, then those for ENIs. */
export const HOP_LIMIT_ACTIONS = ['DescribeInstances', 'ModifyInstanceMetadataOptions'] as const;
export const ENI_ACTIONS = [
  'DescribeSubnets',
  'DescribeSecurityGroups',
  'DescribeNetworkInterfaces',
  'CreateNetworkInterface',
  'AttachNetworkInterface',
  'ModifyNetworkInterfaceAttribute',
  'DetachNetworkInterface',
  'DeleteNetworkInterface',
] as const;

/** IDs that look real but name nothing: DryRun answers on permission before the resource matters. */
const PLACEHOLDER_ENI = 'eni-0eeeeeeeeeeeeeeee';
const PLACEHOLDER_ATTACHMENT = 'eni-attach-0eeeeeeeeeeeeeeee';

const seedDefaults: Record<ImdsVariable, (c: ImdsConfig) => string> = {
  AWS_EC2_METADATA_DISABLED: (c) => String(c.disabled),
  AWS_EC2_METADATA_V1_DISABLED: (c) => String(c.v1Disabled),
  AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: (c) => c.endpointMode,
  AWS_EC2_METADATA_SERVICE_ENDPOINT: (c) => c.endpoint,
  AWS_METADATA_SERVICE_TIMEOUT: (c) => `${c.timeoutMs / 1000}`,
  AWS_METADATA_SERVICE_NUM_ATTEMPTS: (c) => String(c.numAttempts),
  IMDS_AUTO_CONFIGURE_HOP_LIMIT: (c) => String(c.autoConfigureHopLimit),
  IMDS_HOP_LIMIT: (c) => String(c.hopLimit),
  EC2_INSTANCE_ID: (c) => c.instanceId ?? '(unset: detected through IMDS)',
};

const isSet = (env: NodeJS.ProcessEnv, name: string) => env[name] !== undefined && env[name]!.trim() !== '';

export function configEntries(env: NodeJS.ProcessEnv, config: ImdsConfig): ConfigEntry[] {
  const entries: ConfigEntry[] = IMDS_VARIABLES.map((variable) => ({ variable, value: seedDefaults[variable](config), isDefault: !isSet(env, variable) }));
  entries.push({ variable: 'AWS_REGION', value: env.AWS_REGION?.trim() || '(unset: from IMDS)', isDefault: !isSet(env, 'AWS_REGION') });
  entries.push({ variable: 'EC2_ENDPOINT', value: env.EC2_ENDPOINT?.trim() || '(unset: the regional EC2 endpoint)', isDefault: !isSet(env, 'EC2_ENDPOINT') });
  return entries;
}

/** A DryRun answer, read: DryRunOperation = allowed, UnauthorizedOperation = missing. */
export function classifyDryRun(action: string, err: unknown): DoctorCheck {
  const name = `iam:ec2:${action}`;
  if (err === undefined) {
    // Nothing thrown means the call was made for real: DryRun ignored (it should never happen on EC2).
    return { name, status: 'warn', detail: 'the DryRun request succeeded without DryRunOperation; the endpoint ignores DryRun, so the permission is unknown' };
  }
  const info = classifyAwsError(err, { operation: action });
  if (info.code === 'DryRunOperation') return { name, status: 'pass', detail: `allowed (DryRun answered DryRunOperation)` };
  if (info.code === 'UnauthorizedOperation' || /^AccessDenied/.test(info.code) || info.code === 'AuthFailure') {
    return {
      name,
      status: 'fail',
      detail: `missing: ec2:${action} answered ${info.code}: ${info.message}`,
      remedy: info.remedy ?? `add ec2:${action} to the IAM role eniflow runs as`,
    };
  }
  return { name, status: 'warn', detail: `inconclusive: DryRun answered ${info.code}: ${info.message}`, remedy: 'run doctor again; if it persists, check the EC2 endpoint (EC2_ENDPOINT) and the region' };
}

async function dryRun(action: string, send: () => Promise<unknown>): Promise<DoctorCheck> {
  try {
    await send();
    return classifyDryRun(action, undefined);
  } catch (err) {
    return classifyDryRun(action, err);
  }
}

function dryRunCalls(ec2: EC2Client, facts: InstanceFacts): Array<[string, () => Promise<unknown>]> {
  const md = facts.metadataOptions;
  return [
    // The current hop limit, so even a DryRun ignored by the endpoint would change nothing.
    ['ModifyInstanceMetadataOptions', () => ec2.send(new ModifyInstanceMetadataOptionsCommand({ DryRun: true, InstanceId: facts.instanceId, HttpPutResponseHopLimit: md.httpPutResponseHopLimit }))],
    ['DescribeSubnets', () => ec2.send(new DescribeSubnetsCommand({ DryRun: true }))],
    ['DescribeSecurityGroups', () => ec2.send(new DescribeSecurityGroupsCommand({ DryRun: true }))],
    ['DescribeNetworkInterfaces', () => ec2.send(new DescribeNetworkInterfacesCommand({ DryRun: true }))],
    ['CreateNetworkInterface', () => ec2.send(new CreateNetworkInterfaceCommand({ DryRun: true, SubnetId: facts.subnetId, Description: 'eniflow doctor (DryRun)' }))],
    ['AttachNetworkInterface', () => ec2.send(new AttachNetworkInterfaceCommand({ DryRun: true, InstanceId: facts.instanceId, NetworkInterfaceId: PLACEHOLDER_ENI, DeviceIndex: 1 }))],
    ['ModifyNetworkInterfaceAttribute', () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ DryRun: true, NetworkInterfaceId: PLACEHOLDER_ENI, Description: { Value: 'eniflow doctor' } }))],
    ['DetachNetworkInterface', () => ec2.send(new DetachNetworkInterfaceCommand({ DryRun: true, AttachmentId: PLACEHOLDER_ATTACHMENT }))],
    ['DeleteNetworkInterface', () => ec2.send(new DeleteNetworkInterfaceCommand({ DryRun: true, NetworkInterfaceId: PLACEHOLDER_ENI }))],
  ];
}

/** The instance's hop limit against IMDS_HOP_LIMIT, with what eniflow will (or will not) do about it. */
export function hopLimitCheck(facts: InstanceFacts, config: ImdsConfig): DoctorCheck {
  const md = facts.metadataOptions;
  const name = 'hop-limit';
  const manual = `aws ec2 modify-instance-metadata-options --instance-id ${facts.instanceId} --http-put-response-hop-limit ${config.hopLimit}`;
  const where = `HttpPutResponseHopLimit=${md.httpPutResponseHopLimit}, HttpTokens=${md.httpTokens}, IMDS_HOP_LIMIT=${config.hopLimit}`;
  if (md.httpPutResponseHopLimit === config.hopLimit) return { name, status: 'pass', detail: `${where}: as desired` };
  if (config.autoConfigureHopLimit) {
    return {
      name,
      status: 'warn',
      detail: `${where}: eniflow will set ${config.hopLimit} when it onboards this node (IMDS_AUTO_CONFIGURE_HOP_LIMIT=true)`,
      remedy: 'nothing to do if ec2:ModifyInstanceMetadataOptions passes below; otherwise add it or run: ' + manual,
    };
  }
  // Too low, tokens required, and nobody will change it: containers one hop away cannot get a token.
  const breaks = md.httpPutResponseHopLimit < config.hopLimit && md.httpTokens === 'required';
  return {
    name,
    status: breaks ? 'fail' : 'warn',
    detail:
      `${where}: auto-configuration is off (IMDS_AUTO_CONFIGURE_HOP_LIMIT=false), so it stays ${md.httpPutResponseHopLimit}` +
      (breaks ? '; IMDSv2 token requests from containers will time out (seed case 1: "context deadline exceeded")' : ''),
    remedy: `set IMDS_AUTO_CONFIGURE_HOP_LIMIT=true, or run: ${manual}`,
  };
}

const ec2EndpointSchema = z.url({ protocol: /^https?$/ });

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  /** Tests inject a client; otherwise one is built from AWS_REGION/IMDS region and EC2_ENDPOINT. */
  ec2For?: (region: string) => EC2Client;
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const checks: DoctorCheck[] = [];
  const finish = (extra: Partial<DoctorReport> = {}): DoctorReport => ({ ok: !checks.some((c) => c.status === 'fail'), config: [], checks, ...extra });

  let config: ImdsConfig;
  try {
    config = loadImdsConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks.push({ name: `config:${err.variable}`, status: 'fail', detail: err.message, remedy: `fix or unset ${err.variable}` });
    return finish();
  }
  const config_ = configEntries(env, config);
  checks.push({ name: 'config', status: 'pass', detail: `all ${IMDS_VARIABLES.length} IMDS variables parse (${config_.filter((c) => !c.isDefault).length} set, the rest defaults)` });

  let ec2Endpoint: string | undefined;
  if (isSet(env, 'EC2_ENDPOINT')) {
    const parsed = ec2EndpointSchema.safeParse(env.EC2_ENDPOINT!.trim());
    if (!parsed.success) {
      checks.push({ name: 'config:EC2_ENDPOINT', status: 'fail', detail: `EC2_ENDPOINT=${JSON.stringify(env.EC2_ENDPOINT)} is not an http(s) URL`, remedy: 'fix or unset EC2_ENDPOINT' });
      return finish({ config: config_ });
    }
    ec2Endpoint = parsed.data;
  }

  // IMDS: reachable, and over which version.
  let instanceId = config.instanceId;
  let region = env.AWS_REGION?.trim() || undefined;
  if (config.disabled) {
    checks.push({
      name: 'imds',
      status: instanceId ? 'warn' : 'fail',
      detail: 'IMDS is disabled (AWS_EC2_METADATA_DISABLED=true); no request was made',
      remedy: instanceId ? 'eniflow uses EC2_INSTANCE_ID; unset AWS_EC2_METADATA_DISABLED to let it read MACs and region from IMDS' : 'set EC2_INSTANCE_ID (and AWS_REGION), or unset AWS_EC2_METADATA_DISABLED',
    });
  } else {
    try {
      const answer = await createImdsClient(config).identity();
      const id = answer.value;
      const v2 = answer.imdsVersion === 'v2';
      checks.push({
        name: 'imds',
        status: v2 ? 'pass' : 'warn',
        detail: `reachable at ${config.endpoint} over IMDS${answer.imdsVersion}: ${id.instanceId} in ${id.availabilityZone}, ${id.macs.length} interface(s)`,
        ...(v2 ? {} : { remedy: 'the IMDSv2 token request failed (403/404/405 or timed out: a hop limit too low); eniflow fell back to IMDSv1. Raise the hop limit to IMDS_HOP_LIMIT=2, keep IMDS_AUTO_CONFIGURE_HOP_LIMIT=true' }),
      });
      if (instanceId && instanceId !== id.instanceId) {
        checks.push({ name: 'instance-id', status: 'warn', detail: `EC2_INSTANCE_ID=${instanceId} differs from IMDS (${id.instanceId}); eniflow uses EC2_INSTANCE_ID`, remedy: 'unset EC2_INSTANCE_ID unless this is intended' });
      }
      instanceId ??= id.instanceId;
      region ??= id.region;
    } catch (err) {
      // The ImdsError's message names the cause and the seed's remedy already.
      checks.push({ name: 'imds', status: instanceId ? 'warn' : 'fail', detail: (err as Error).message, ...(isImdsError(err) ? {} : { remedy: 'check AWS_EC2_METADATA_SERVICE_ENDPOINT' }) });
    }
  }
  if (!instanceId) {
    checks.push({ name: 'instance-id', status: 'fail', detail: instanceIdUnknownWarning(), remedy: 'set EC2_INSTANCE_ID' });
    return finish({ config: config_, region });
  }
  if (!region) {
    checks.push({ name: 'region', status: 'fail', detail: 'the region is unknown: IMDS gave none and AWS_REGION is not set', remedy: 'set AWS_REGION' });
    return finish({ config: config_, instanceId });
  }

  const ec2 = options.ec2For?.(region) ?? createEc2Client({ region, endpoint: ec2Endpoint, maxAttempts: 2 });
  try {
    let facts: InstanceFacts;
    try {
      facts = await describeInstance(ec2, instanceId);
      checks.push({ name: 'iam:ec2:DescribeInstances', status: 'pass', detail: `allowed (described ${instanceId})` });
    } catch (err) {
      const info = classifyAwsError(err, { operation: 'DescribeInstances' });
      const denied = info.code === 'UnauthorizedOperation' || /^AccessDenied/.test(info.code);
      checks.push({
        name: denied ? 'iam:ec2:DescribeInstances' : 'ec2',
        status: 'fail',
        detail: `DescribeInstances ${instanceId} failed: ${info.code}: ${info.message}`,
        remedy: info.remedy ?? (denied ? 'add ec2:DescribeInstances to the IAM role' : 'check EC2_ENDPOINT, the region and the credentials'),
      });
      return finish({ config: config_, instanceId, region });
    }
    checks.push(hopLimitCheck(facts, config));
    if (facts.metadataOptions.httpEndpoint === 'disabled') {
      checks.push({ name: 'imds-endpoint', status: 'fail', detail: 'the instance has HttpEndpoint=disabled: IMDS answers nothing', remedy: `aws ec2 modify-instance-metadata-options --instance-id ${instanceId} --http-endpoint enabled` });
    }
    for (const [action, send] of dryRunCalls(ec2, facts)) {
      const check = await dryRun(action, send);
      // Without ModifyInstanceMetadataOptions onboarding still works (seed case 3 is a warning) unless
      // the hop limit itself is wrong; the ENI actions are needed for eniflow's whole job.
      if (action === 'ModifyInstanceMetadataOptions' && check.status === 'fail') {
        check.remedy = 'add ec2:ModifyInstanceMetadataOptions to the node IAM role, or disable auto-configuration (IMDS_AUTO_CONFIGURE_HOP_LIMIT=false) and set the hop limit by hand';
        if (!config.autoConfigureHopLimit || facts.metadataOptions.httpPutResponseHopLimit === config.hopLimit) check.status = 'warn';
      }
      checks.push(check);
    }
  } finally {
    if (!options.ec2For) ec2.destroy();
  }
  return finish({ config: config_, instanceId, region });
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

export function renderDoctorReport(r: DoctorReport): string {
  const checks = table(['CHECK', 'STATUS', 'DETAIL', 'REMEDY'], r.checks.map((c) => [c.name, MARK[c.status], c.detail, c.remedy ?? '']));
  const config = table(['VARIABLE', 'VALUE', 'SOURCE'], r.config.map((c) => [c.variable, c.value, c.isDefault ? 'default' : 'set']));
  const counts = (['pass', 'warn', 'fail'] as const).map((s) => `${r.checks.filter((c) => c.status === s).length} ${s}`).join(', ');
  const target = r.instanceId ? `instance ${r.instanceId}${r.region ? ` in ${r.region}` : ''}` : 'instance unknown';
  return `eniflow doctor — ${target}\n\n${checks}\n\nConfiguration\n${config}\n\n${counts}: ${r.ok ? 'OK' : 'FAILED'}`;
}

/** The `doctor` subcommand; returns 0 when nothing failed, 1 on any fail, 2 on bad usage. */
export async function runDoctorCommand(args: string[]): Promise<number> {
  let json: boolean;
  try {
    json = Boolean(parseArgs({ args, options: { json: { type: 'boolean' } } }).values.json);
  } catch (err) {
    console.error(`eniflow doctor: ${(err as Error).message}\nUsage: eniflow doctor [--json]`);
    return 2;
  }
  const report = await runDoctor();
  console.log(json ? JSON.stringify(report, null, 2) : renderDoctorReport(report));
  return report.ok ? 0 : 1;
}
