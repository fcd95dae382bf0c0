// Terminal output: a live per-node progress view and the final table.
import type { OnboardProgress } from '../workflows/definitions';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const STEP_MARK: Record<string, string> = { pending: '·', running: '▶', done: '✓', warning: '!', failed: '✗' };

export function progressLine(p: OnboardProgress | undefined, nodeName: string): string {
  if (!p) return `${nodeName.padEnd(14)} waiting to start`;
  const steps = p.steps.map((s) => STEP_MARK[s.status] ?? '?').join('');
  const running = p.steps.find((s) => s.status === 'running');
  const detail = p.error ?? (running ? running.name : p.phase === 'Ready' ? `${p.enis.length} ENIs ready` : '');
  return `${p.nodeName.padEnd(14)} [${steps}] ${p.phase.padEnd(21)} ${p.instanceId ?? ''}  ${detail}`;
}

export function secondsBetween(start?: string, end?: string): string {
  if (!start || !end) return '';
  return ((Date.parse(end) - Date.parse(start)) / 1000).toFixed(2);
}

export function resultTable(progress: OnboardProgress[]): string {
  const rows = progress.map((p) => [
    p.nodeName,
    p.instanceId ?? '',
    p.enis.map((e) => e.eniId ?? '?').join(', '),
    p.enis.map((e) => String(e.deviceIndex)).join(', '),
    p.enis.map((e) => e.interfaceName ?? '?').join(', '),
    [...new Set(p.enis.map((e) => String(e.mtu ?? '?')))].join(', '),
    p.phase,
    secondsBetween(p.startedAt, p.finishedAt),
  ]);
  return table(['NODE', 'INSTANCE', 'ENIS', 'DEVICE INDICES', 'INTERFACES', 'MTU', 'PHASE', 'SECONDS'], rows);
}
