// One real Temporal dev server for the whole test run (tests share it, each on its own task queues).
import { startTemporalDevServer, type TemporalDevServer } from '../../src/dev/temporalServer';

declare global {
  var __ENIFLOW_TEMPORAL__: TemporalDevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const server = await startTemporalDevServer({ ui: false });
  globalThis.__ENIFLOW_TEMPORAL__ = server;
  process.env.ENIFLOW_TEST_TEMPORAL_ADDRESS = server.address;
}
