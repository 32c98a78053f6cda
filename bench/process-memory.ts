import { readdirSync, readFileSync } from 'node:fs';

/** Peak resident set of a process so far (Linux's VmHWM), in MiB; null when it is gone or not Linux. */
export function peakRssMiB(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The processes `npm start` (pid `parent`) runs, by service name: its children running dist/services/<name>/. */
export function servicePids(parent: number): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // The parent pid is the 4th field; the command name before it may hold spaces, so read after its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const service = /dist\/services\/([\w-]+)\//.exec(command)?.[1];
      if (service) pids[service] = Number(entry);
    } catch {
      // gone between the listing and the read
    }
  }
  return pids;
}
