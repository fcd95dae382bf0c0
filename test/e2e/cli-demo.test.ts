// The quick start's own command, as a newcomer runs it: `eniflow demo --exit --state-dir DIR`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENIFLOW_BIN as bin, runCli } from '../helpers/cli';

const run = (args: string[], timeoutMs: number) => runCli(args, { inherit: true, env: { ENIFLOW_LOG_LEVEL: 'ERROR' }, timeoutMs });

describe('eniflow demo --exit', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'eniflow-demo-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('onboards 3/3 nodes (6 ENIs), prints the table and the UI address, writes stack.json, exits 0', async () => {
    expect(existsSync(bin)).toBe(true);
    const { code, stdout, stderr } = await run(['demo', '--exit', '--state-dir', stateDir], 150_000);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/3\/3 nodes onboarded, 6 ENIs attached and configured/);
    expect(stdout).toMatch(/NODE\s+INSTANCE\s+ENIS\s+DEVICE INDICES\s+INTERFACES\s+MTU/);
    expect(stdout.match(/^demo-node-\d\s+i-[0-9a-f]+\s+eni-[0-9a-f]+, eni-[0-9a-f]+\s+1, 2\s+\S+, \S+\s+9001\s+Ready/gm)).toHaveLength(3);
    expect(stdout).toMatch(/Temporal Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows/);

    const state = JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8'));
    expect(state).toMatchObject({ namespace: 'default', temporalAddress: expect.stringMatching(/:\d+$/), uiUrl: expect.stringMatching(/^http/), ec2Endpoint: expect.stringMatching(/^http/) });
    expect(state.nodes).toHaveLength(3);
    for (const node of state.nodes) expect(node).toMatchObject({ name: expect.any(String), instanceId: expect.stringMatching(/^i-/), imdsEndpoint: expect.stringMatching(/^http/) });
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    const { code, stderr } = await run(['fly'], 20_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command "fly"/);
  });
});
