// How `kt config reload` and `kt doctor` find a running gateway: each gateway writes `gateway-PORT.json` next to its
// database (mode 0600: it holds the admin token for POST /admin/reload) and removes it when it exits. A file whose
// process is gone is stale and ignored.
import {chmodSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

export interface GatewayState {
  pid: number
  /** Base URL, e.g. http://127.0.0.1:41002 (a wildcard bind is reached through 127.0.0.1). */
  url: string
  config: string | null
  db: string
  started_at: string
  admin_token: string
}

export function stateFilePath(dbPath: string, port: number): string {
  return join(dirname(dbPath), `gateway-${port}.json`)
}

export function writeStateFile(path: string, state: GatewayState): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, {mode: 0o600})
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
}

export function removeStateFile(path: string): void {
  rmSync(path, {force: true})
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The gateways running on the database at `dbPath` (their state files, live processes only). */
export function findGateways(dbPath: string): (GatewayState & {file: string})[] {
  const dir = dirname(dbPath)
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => /^gateway-\d+\.json$/.test(n))
  } catch {
    return []
  }
  const out: (GatewayState & {file: string})[] = []
  for (const name of names) {
    const file = join(dir, name)
    try {
      const s = JSON.parse(readFileSync(file, 'utf8')) as GatewayState
      if (typeof s.pid === 'number' && typeof s.url === 'string' && s.db === dbPath && alive(s.pid)) out.push({...s, file})
    } catch {
      // Unreadable or half-written: not a gateway we can talk to.
    }
  }
  return out
}
