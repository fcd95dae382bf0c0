// `eniflow doctor --json` as a user runs it, against moto behind the strict proxy and simulated nodes'
// IMDS: a healthy node passes everything; a hop limit of 1 with auto-configuration off and a
// permission the proxy denies are failures that name their fix.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2Client';
import { describeInstance } from '../../src/aws/instances';
import { seedCloud, type SeededCloud } from '../../src/dev/cloud';
import { startEc2Proxy, type Ec2Proxy } from '../../src/dev/ec2Proxy';
import { DEV_CREDENTIALS, startMoto, type MotoServer } from '../../src/dev/moto';
import { startSimulatedNode, type SimulatedNode } from '../../src/dev/simulatedNode';
import type { DoctorReport } from '../../src/cli/doctorCommand';
import { runCli as run } from '../helpers/cli';

const runCli = (args: string[], env: Record<string, string>, timeoutMs = 60_000) => run(args, { env, timeoutMs });

const REGION = 'eu-west-1';

describe('eniflow doctor', () => {
  let moto: MotoServer;
  let proxy: Ec2Proxy;
  let ec2: EC2Client;
  let cloud: SeededCloud;
  const nodes = new Map<string, SimulatedNode>();

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startEc2Proxy({ target: moto.endpoint });
    ec2 = createEc2Client({ region: REGION, endpoint: proxy.endpoint, credentials: DEV_CREDENTIALS });
    cloud = await seedCloud(ec2, {
      region: REGION,
      nodes: [
        { name: 'healthy', httpTokens: 'required', hopLimit: 2 },
        { name: 'hop-one', httpTokens: 'required', hopLimit: 1 },
      ],
    });
    for (const instance of cloud.instances) {
      nodes.set(instance.nodeName, await startSimulatedNode({ name: instance.nodeName, instanceId: instance.instanceId, region: REGION, mode: 'memory', describe: (id) => describeInstance(ec2, id) }));
    }
  });
  afterAll(async () => {
    for (const node of nodes.values()) await node.stop();
    ec2?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  async function doctor(node: string, env: Record<string, string> = {}, args = ['--json']) {
    const result = await runCli(['doctor', ...args], {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: nodes.get(node)!.imdsEndpoint,
      EC2_ENDPOINT: proxy.endpoint,
      AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
      ...env,
    });
    return { ...result, report: args.includes('--json') && result.stdout ? (JSON.parse(result.stdout) as DoctorReport) : undefined };
  }
  const check = (r: DoctorReport | undefined, name: string) => r?.checks.find((c) => c.name === name);

  it('a healthy node: every check passes, exit 0; every seed variable listed with its effective value', async () => {
    const { code, report, stderr } = await doctor('healthy');
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(report!.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report!.instanceId).toBe(nodes.get('healthy')!.instanceId);
    expect(check(report, 'imds')?.detail).toContain('over IMDSv2');
    expect(check(report, 'hop-limit')?.detail).toContain('HttpPutResponseHopLimit=2');
    for (const action of ['DescribeInstances', 'ModifyInstanceMetadataOptions', 'CreateNetworkInterface', 'AttachNetworkInterface', 'ModifyNetworkInterfaceAttribute', 'DetachNetworkInterface', 'DeleteNetworkInterface']) {
      expect(check(report, `iam:ec2:${action}`)?.status).toBe('pass');
    }
    const config = Object.fromEntries(report!.config.map((c) => [c.variable, c]));
    expect(config.IMDS_AUTO_CONFIGURE_HOP_LIMIT).toEqual({ variable: 'IMDS_AUTO_CONFIGURE_HOP_LIMIT', value: 'true', isDefault: true });
    expect(config.IMDS_HOP_LIMIT).toEqual({ variable: 'IMDS_HOP_LIMIT', value: '2', isDefault: true });
    expect(config.AWS_EC2_METADATA_SERVICE_ENDPOINT).toMatchObject({ value: nodes.get('healthy')!.imdsEndpoint, isDefault: false });
    for (const v of ['AWS_EC2_METADATA_DISABLED', 'AWS_EC2_METADATA_V1_DISABLED', 'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE', 'AWS_METADATA_SERVICE_TIMEOUT', 'AWS_METADATA_SERVICE_NUM_ATTEMPTS', 'EC2_INSTANCE_ID']) {
      expect(config[v]).toBeDefined();
    }
  });

  it('the table form: PASS rows and the configuration', async () => {
    const { code, stdout } = await doctor('healthy', {}, []);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL\s+REMEDY/m);
    expect(stdout).toMatch(/^iam:ec2:CreateNetworkInterface\s+PASS/m);
    expect(stdout).toMatch(/^IMDS_HOP_LIMIT\s+2\s+default/m);
    expect(stdout).not.toMatch(/\bFAIL\b/);
  });

  it('hop limit 1 with IMDS_AUTO_CONFIGURE_HOP_LIMIT=false: fail with the remedy, exit 1', async () => {
    const { code, report } = await doctor('hop-one', { IMDS_AUTO_CONFIGURE_HOP_LIMIT: 'false' });
    expect(code).toBe(1);
    const hop = check(report, 'hop-limit');
    expect(hop?.status).toBe('fail');
    expect(hop?.detail).toContain('HttpPutResponseHopLimit=1');
    expect(hop?.remedy).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=true');
    expect(hop?.remedy).toContain(`--instance-id ${nodes.get('hop-one')!.instanceId} --http-put-response-hop-limit 2`);
    expect(report!.config.find((c) => c.variable === 'IMDS_AUTO_CONFIGURE_HOP_LIMIT')).toMatchObject({ value: 'false', isDefault: false });
  });

  it('hop limit 1 with auto-configuration on: a warning that eniflow will fix it, exit 0', async () => {
    const { code, report } = await doctor('hop-one');
    expect(code).toBe(0);
    expect(check(report, 'hop-limit')).toMatchObject({ status: 'warn' });
  });

  it('a missing ENI permission (the proxy answers 403 UnauthorizedOperation): fail naming the action, exit 1', async () => {
    proxy.failNext('CreateNetworkInterface', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const { code, report } = await doctor('healthy');
    expect(code).toBe(1);
    const failed = report!.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toEqual(['iam:ec2:CreateNetworkInterface']);
    expect(failed[0].detail).toContain('UnauthorizedOperation');
    expect(failed[0].remedy).toContain('ec2:CreateNetworkInterface');
  });

  it('ec2:ModifyInstanceMetadataOptions missing while the hop limit needs changing: fail with the seed\'s remedy', async () => {
    proxy.failNext('ModifyInstanceMetadataOptions', 'UnauthorizedOperation', 403, 'You are not authorized to perform this operation.');
    const { code, report } = await doctor('hop-one');
    expect(code).toBe(1);
    const c = check(report, 'iam:ec2:ModifyInstanceMetadataOptions');
    expect(c?.status).toBe('fail');
    expect(c?.remedy).toContain('IMDS_AUTO_CONFIGURE_HOP_LIMIT=false');
  });

  it('IMDS unreachable and no EC2_INSTANCE_ID: fail with the seed\'s case 4, exit 1', async () => {
    const { code, report } = await doctor('healthy', { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9', AWS_METADATA_SERVICE_TIMEOUT: '0.3' });
    expect(code).toBe(1);
    expect(check(report, 'imds')?.status).toBe('fail');
    expect(check(report, 'instance-id')?.detail).toContain('Could not determine current instance ID');
  });

  it('IMDS disabled with EC2_INSTANCE_ID and AWS_REGION: warn for IMDS, the EC2 checks still run and pass', async () => {
    const id = nodes.get('healthy')!.instanceId;
    const { code, report } = await doctor('healthy', { AWS_EC2_METADATA_DISABLED: 'true', EC2_INSTANCE_ID: id, AWS_REGION: REGION });
    expect(code).toBe(0);
    expect(check(report, 'imds')?.status).toBe('warn');
    expect(check(report, 'hop-limit')?.status).toBe('pass');
    expect(check(report, 'iam:ec2:DeleteNetworkInterface')?.status).toBe('pass');
  });
});
