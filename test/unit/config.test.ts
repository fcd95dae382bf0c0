import { parseNodeEniSpec, subnetRefs, InvalidNodeEniError, selectorMatches } from '../../src/config/nodeEni';
import { policyFromManifest } from '../../src/config/nodeEniManifest';
import { loadAgentEnv, loadCentralEnv, EnvConfigError } from '../../src/config/processEnv';
import { validateOnboardInput } from '../../src/workflows/input';
import { SAMPLE_NODE_ENI_MANIFEST, samplePolicy } from '../../src/dev/sampleNodeEni';

describe('NodeENI spec', () => {
  it("applies the original controller's defaults", () => {
    const spec = parseNodeEniSpec('x', { nodeSelector: {}, subnetID: 'subnet-0123456789abcdef0' });
    expect(spec).toMatchObject({ deviceIndex: 1, deleteOnTermination: true, mtu: 0, enableDPDK: false, dpdkDriver: 'vfio-pci', addressing: 'none' });
  });
  it('combines and de-duplicates subnet IDs and names in declaration order', () => {
    const spec = parseNodeEniSpec('x', {
      nodeSelector: {},
      subnetID: 'subnet-0000000a',
      subnetIDs: ['subnet-0000000b', 'subnet-0000000a'],
      subnetName: 'n1',
      subnetNames: ['n1', 'n2'],
    });
    expect(subnetRefs(spec)).toEqual({ ids: ['subnet-0000000a', 'subnet-0000000b'], names: ['n1', 'n2'] });
  });
  it.each([
    [{ nodeSelector: {}, subnetID: 'subnet-0000000a', mtu: 9002 }, 'mtu'],
    [{ nodeSelector: {}, subnetID: 'nope' }, 'subnetID'],
    [{ nodeSelector: {} }, 'subnetID'],
    [{ subnetID: 'subnet-0000000a' }, 'nodeSelector'],
    [{ nodeSelector: {}, subnetID: 'subnet-0000000a', securityGroupIDs: ['group'] }, 'securityGroupIDs.0'],
  ])('names the bad field (%j → %s)', (spec, field) => {
    expect(() => parseNodeEniSpec('p', spec)).toThrow(InvalidNodeEniError);
    expect(() => parseNodeEniSpec('p', spec)).toThrow(new RegExp(`NodeENI p: spec\\.${field.replace('.', '\\.')} `));
  });
  it('matches selectors by label equality', () => {
    expect(selectorMatches({ a: '1' }, { a: '1', b: '2' })).toBe(true);
    expect(selectorMatches({ a: '1' }, { a: '2' })).toBe(false);
    expect(selectorMatches({}, {})).toBe(true);
  });
  it('reads manifests and rejects the wrong kind or apiVersion with the file name', () => {
    expect(policyFromManifest(SAMPLE_NODE_ENI_MANIFEST, 'f.yaml').name).toBe('multus-data');
    expect(() => policyFromManifest({ ...SAMPLE_NODE_ENI_MANIFEST, kind: 'Pod' }, 'f.yaml')).toThrow(/f\.yaml: kind is "Pod"/);
    expect(() => policyFromManifest({ ...SAMPLE_NODE_ENI_MANIFEST, apiVersion: 'v1' }, 'f.yaml')).toThrow(/apiVersion/);
  });
});

describe('process environment', () => {
  it('defaults', () => {
    expect(loadCentralEnv({})).toMatchObject({ TEMPORAL_ADDRESS: 'localhost:7233', TEMPORAL_NAMESPACE: 'default', CLUSTER_NAME: 'eniflow', EC2_RATE_LIMIT: 20 });
  });
  it('names the variable on a bad value', () => {
    expect(() => loadCentralEnv({ EC2_RATE_LIMIT: 'fast' })).toThrow(EnvConfigError);
    expect(() => loadCentralEnv({ EC2_RATE_LIMIT: 'fast' })).toThrow(/^EC2_RATE_LIMIT: must be a positive number/);
    expect(() => loadCentralEnv({ AWS_REGION: 'Europe' })).toThrow(/^AWS_REGION: /);
    expect(() => loadAgentEnv({})).toThrow(/^NODE_NAME: .*downward API.*not set/);
  });
});

describe('onboarding input validation (inside the workflow)', () => {
  const good = { nodeName: 'node-1', cluster: 'c', policies: [samplePolicy()], imds: { autoConfigure: true, hopLimit: 2 } };
  it('accepts a good input', () => expect(validateOnboardInput(good).ok).toBe(true));
  it.each([
    [{ ...good, nodeName: 'Node_1' }, 'nodeName'],
    [{ ...good, policies: [] }, 'policies'],
    [{ ...good, imds: { autoConfigure: true, hopLimit: 65 } }, 'imds.hopLimit'],
  ])('names the field %#', (input, field) => {
    const result = validateOnboardInput(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.field).toBe(field);
  });
});
