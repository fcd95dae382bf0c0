// The `eniflow` command: one subcommand per job; configuration is parsed at this edge.
import { parseArgs } from 'node:util';
import { loadTemporalEnv } from '../config/processEnv';
import { runDemo } from './demo';
import { runListCommand, runOffboardCommand, runOnboardCommand, runStatusCommand } from './operatorCommands';
import { runCentralWorkerProcess, runNodeAgentProcess } from './processCommands';

const USAGE = `eniflow — durable ENI onboarding for Kubernetes nodes on AWS (Temporal workflows)

Usage: eniflow <command> [options]

  demo [--exit] [--state-dir DIR] [--memory]
                           run the local stack and onboard 3 simulated nodes
  onboard <node> --nodeeni FILE [--provider-id ID] [--wait]
                           start (or join) the node's onboarding workflow
  offboard <node> [--region R] [--nodeeni NAME] [--reason TEXT] [--wait]
                           detach and delete the node's ENIs (all, or those NodeENIs')
  status <node> [--json]   the node's onboarding progress
  list [--json]            every node's onboarding, from the Temporal visibility store
  worker                   run a central worker (workflows + EC2 activities)
  agent                    run the node agent (NODE_NAME) for node-local activities

Temporal: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default").
See README.md for every environment variable.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async demo(args) {
    const { values } = parseArgs({ args, options: { exit: { type: 'boolean' }, 'state-dir': { type: 'string' }, memory: { type: 'boolean' } } });
    return runDemo({ exit: Boolean(values.exit), stateDir: values['state-dir'], nodeMode: values.memory ? 'memory' : 'auto' });
  },
  async onboard(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { nodeeni: { type: 'string', multiple: true }, 'provider-id': { type: 'string' }, wait: { type: 'boolean' } },
    });
    return runOnboardCommand(loadTemporalEnv(), { nodeName: positionals[0], nodeEniFiles: values.nodeeni ?? [], providerID: values['provider-id'], wait: Boolean(values.wait) });
  },
  async offboard(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { region: { type: 'string' }, nodeeni: { type: 'string' }, reason: { type: 'string' }, wait: { type: 'boolean' } },
    });
    return runOffboardCommand(loadTemporalEnv(), { nodeName: positionals[0], region: values.region, nodeEniName: values.nodeeni, reason: values.reason, wait: Boolean(values.wait) });
  },
  async status(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    return runStatusCommand(loadTemporalEnv(), positionals[0], Boolean(values.json));
  },
  async list(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
    return runListCommand(loadTemporalEnv(), Boolean(values.json));
  },
  async worker() {
    return runCentralWorkerProcess();
  },
  async agent() {
    return runNodeAgentProcess();
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`eniflow: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command(rest);
}
