// The `eniflow` command: one subcommand per job; configuration is parsed at this edge.
// Each command's modules load only when it runs: the node agent on every node should not carry the
// demo stack, the EC2 client or the workflow bundler in its memory.
import { parseArgs } from 'node:util';
import { loadTemporalEnv } from '../config/processEnv';

const USAGE = `eniflow — durable ENI onboarding for Kubernetes nodes on AWS (Temporal workflows)

Usage: eniflow <command> [options]

  demo [--exit] [--state-dir DIR] [--memory]
                           run the local stack and onboard 3 simulated nodes
  onboard <node> --nodeeni FILE... [--provider-id ID] [--wait]
                           give the node exactly these NodeENIs (its whole desired state):
                           start its onboarding, or hand the change to the running one
  offboard <node> [--region R] [--nodeeni NAME] [--reason TEXT] [--wait]
                           detach and delete the node's ENIs (all, or those NodeENIs')
  status <node> [--json]   the node's onboarding progress
  list [--json]            every node's onboarding, from the Temporal visibility store
  watch [--once] [--interval S]
                           every node's onboarding progress, live
  imds [--json] [--verbose] what this machine's IMDS says (instance, region, AZ, IMDS version, MACs)
  doctor [--json]          check IMDS, hop limit, IAM permissions (DryRun) and configuration
  controller               run the Kubernetes controller (Nodes/NodeENIs → workflows; one active replica via a Lease)
  worker                   run a central worker (workflows + EC2 activities)
  agent                    run the node agent (NODE_NAME) for node-local activities

Temporal: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default "default").
See README.md for every environment variable.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  async demo(args) {
    const { values } = parseArgs({ args, options: { exit: { type: 'boolean' }, 'state-dir': { type: 'string' }, memory: { type: 'boolean' } } });
    const { runDemo } = await import('./demo.js');
    return runDemo({ exit: Boolean(values.exit), stateDir: values['state-dir'], nodeMode: values.memory ? 'memory' : 'auto' });
  },
  async onboard(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { nodeeni: { type: 'string', multiple: true }, 'provider-id': { type: 'string' }, wait: { type: 'boolean' } },
    });
    const { runOnboardCommand } = await import('./operatorCommands.js');
    return runOnboardCommand(loadTemporalEnv(), { nodeName: positionals[0], nodeEniFiles: values.nodeeni ?? [], providerID: values['provider-id'], wait: Boolean(values.wait) });
  },
  async offboard(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { region: { type: 'string' }, nodeeni: { type: 'string' }, reason: { type: 'string' }, wait: { type: 'boolean' } },
    });
    const { runOffboardCommand } = await import('./operatorCommands.js');
    return runOffboardCommand(loadTemporalEnv(), { nodeName: positionals[0], region: values.region, nodeEniName: values.nodeeni, reason: values.reason, wait: Boolean(values.wait) });
  },
  async status(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
    const { runStatusCommand } = await import('./operatorCommands.js');
    return runStatusCommand(loadTemporalEnv(), positionals[0], Boolean(values.json));
  },
  async list(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
    const { runListCommand } = await import('./operatorCommands.js');
    return runListCommand(loadTemporalEnv(), Boolean(values.json));
  },
  async imds(args) {
    const { runImdsCommand } = await import('./imdsCommand.js');
    return runImdsCommand(args);
  },
  async doctor(args) {
    const { runDoctorCommand } = await import('./doctorCommand.js');
    return runDoctorCommand(args);
  },
  async controller() {
    const { runControllerProcess } = await import('./controllerCommand.js');
    return runControllerProcess();
  },
  async watch(args) {
    const { values } = parseArgs({ args, options: { once: { type: 'boolean' }, interval: { type: 'string' } } });
    const intervalMs = Number(values.interval ?? '1') * 1000;
    if (!(intervalMs > 0)) throw new Error(`--interval must be a positive number of seconds, got "${values.interval}"`);
    const { runWatchCommand } = await import('./operatorCommands.js');
    return runWatchCommand(loadTemporalEnv(), { once: Boolean(values.once), intervalMs });
  },
  async worker() {
    const { runCentralWorkerProcess } = await import('./centralProcess.js');
    return runCentralWorkerProcess();
  },
  async agent() {
    const { runNodeAgentProcess } = await import('./agentProcess.js');
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
