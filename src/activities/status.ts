// Where a node's onboarding result is published. Standalone (no Kubernetes) it is a structured log
// line; the Kubernetes publisher writes NodeENI status, node annotation and Events.
import type { EniProgress } from '../workflows/definitions';
import type { InterfaceReport } from '../domain/types';

export interface NodeStatusReport {
  nodeName: string;
  instanceId?: string;
  phase: 'Ready' | 'Failed' | 'Offboarded';
  enis: EniProgress[];
  interfaces: InterfaceReport[];
  warnings: string[];
  error?: string;
  /** Offboarding: the ENIs taken away, and the NodeENI they belonged to (all of the node's when absent). */
  releasedEniIds?: string[];
  nodeEniName?: string;
}

export interface StatusPublisher {
  publish(report: NodeStatusReport): Promise<void>;
}

export function logStatusPublisher(write: (line: string) => void = (line) => console.log(line)): StatusPublisher {
  return {
    async publish(report) {
      write(JSON.stringify({ msg: 'node status', ...report }));
    },
  };
}
