// Each test file gets its own namespace on the run's shared dev server: no task from one file can
// reach another file's workers, whatever state a previous file left behind.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/workflows/searchAttributes';
import { installRuntime } from '../../src/workers/runtime';
import { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';

export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export function temporalAddress(): string {
  const address = process.env.ENIFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('ENIFLOW_TEST_TEMPORAL_ADDRESS is not set: run the tests with `npm test` (jest globalSetup starts the server)');
  return address;
}

export async function testTemporal(prefix: string): Promise<TestTemporal> {
  installRuntime('ERROR');
  const address = temporalAddress();
  const namespace = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  const connection = await Connection.connect({ address });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  const types = temporal.api.enums.v1.IndexedValueType;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTE_TYPES).map((name) => [name, types.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  const client = new Client({ connection, namespace });
  // The namespace needs a moment before it serves requests.
  for (let i = 0; ; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await client.workflow.count();
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace,
    client,
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}
