import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type pg from 'pg';

/** /proc counts CPU time in USER_HZ ticks: 100 a second on Linux. */
const TICKS_PER_SECOND = 100;

/** CPU seconds used so far, by party. */
interface CpuReading {
  service: number;
  provider: number | undefined;
  /** By PostgreSQL process id; empty when the server is not on this machine. */
  postgres: Map<number, number>;
}

/** CPU seconds spent between two readings, by party (undefined: not measurable here). */
export interface CpuSpent {
  service: number;
  provider: number | undefined;
  postgres: number | undefined;
}

/**
 * Where a benchmark's CPU goes: this process (the service), the fake provider's process, and
 * every process of the PostgreSQL server (backends, WAL writer, checkpointer…) when it runs on
 * this machine. On two cores, a run can take no less than the sum over two.
 */
export class CpuMeter {
  constructor(
    private readonly admin: pg.Client,
    private readonly providerPid: number | undefined,
  ) {}

  async measure(work: () => Promise<unknown>): Promise<CpuSpent> {
    const before = await this.read();
    await work();
    const after = await this.read();
    let postgres: number | undefined;
    if (after.postgres.size) {
      postgres = 0;
      // A process started meanwhile (a new connection) spent all its time in the work.
      for (const [pid, seconds] of after.postgres)
        postgres += seconds - (before.postgres.get(pid) ?? 0);
    }
    return {
      service: after.service - before.service,
      provider:
        after.provider === undefined || before.provider === undefined
          ? undefined
          : after.provider - before.provider,
      postgres,
    };
  }

  private async read(): Promise<CpuReading> {
    const { user, system } = process.cpuUsage();
    const { rows } = await this.admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity`);
    const postgres = new Map<number, number>();
    for (const { pid } of rows) {
      // The same number may name another process here when the server is elsewhere.
      if (processName(pid) !== 'postgres') continue;
      const seconds = processCpu(pid);
      if (seconds !== undefined) postgres.set(pid, seconds);
    }
    return {
      service: (user + system) / 1e6,
      provider: this.providerPid === undefined ? undefined : processCpu(this.providerPid),
      postgres,
    };
  }
}

/**
 * "service 0.85 s + fake provider 0.32 s + PostgreSQL 3.77 s = 4.94 s: at least 2.47 s on 2
 * cores" — the bound is what no scheduling of that work could beat.
 */
export function describeCpu(spent: CpuSpent): string {
  const seconds = (s: number | undefined) => (s === undefined ? 'n/a' : `${s.toFixed(2)} s`);
  const parties =
    `service ${seconds(spent.service)} + fake provider ${seconds(spent.provider)} + ` +
    `PostgreSQL ${seconds(spent.postgres)}`;
  if (spent.provider === undefined || spent.postgres === undefined) return parties;
  const total = spent.service + spent.provider + spent.postgres;
  const cores = availableParallelism();
  return `${parties} = ${seconds(total)}: at least ${seconds(total / cores)} on ${cores} cores`;
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a process, from /proc/<pid>/stat (fields 14 and 15). */
function processCpu(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
