// `kt config reload` without oclif: find the running gateway(s) and ask each to re-read its config file
// (POST /admin/reload). Found through the state files gateways write next to their database (which carry an admin
// token), or at --url with the gateway's --auth-token.
import {findGateways, type ReloadOutcome} from '../gateway/index.js'
import {resolveDbPath} from '../store/index.js'
import {KtError, errorMessage} from '../util/index.js'
import {TOKEN_ENV} from './gateway.js'

export interface ReloadTarget {
  url: string
  token: string | null
}

export interface ReloadResult {
  url: string
  outcome: ReloadOutcome
}

const TIMEOUT_MS = 10_000

/** The gateways to reload: `--url` (with the gateway token), else every live gateway on the database. */
export function reloadTargets(o: {url?: string; token?: string; dbFlag?: string; env?: NodeJS.ProcessEnv}): ReloadTarget[] {
  const env = o.env ?? process.env
  if (o.url) return [{url: o.url.replace(/\/+$/, ''), token: o.token ?? env[TOKEN_ENV] ?? null}]
  const dbPath = resolveDbPath(o.dbFlag)
  const found = findGateways(dbPath)
  if (found.length === 0) {
    throw new KtError(`no running gateway found for database ${dbPath} (gateways write gateway-PORT.json next to it); start one with kt gateway run --policy-config FILE, or pass --url URL (and --auth-token) for a gateway elsewhere`)
  }
  return found.map((g) => ({url: g.url, token: g.admin_token}))
}

export async function reloadGateway(t: ReloadTarget): Promise<ReloadResult> {
  let res: Response
  try {
    res = await fetch(`${t.url}/admin/reload`, {method: 'POST', headers: t.token ? {authorization: `Bearer ${t.token}`} : {}, signal: AbortSignal.timeout(TIMEOUT_MS)})
  } catch (err) {
    const cause = (err as {cause?: {code?: string}}).cause?.code
    throw new KtError(`cannot reach the gateway at ${t.url}: ${cause ?? errorMessage(err)}`)
  }
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new KtError(`${t.url}/admin/reload answered HTTP ${res.status} with something that is not a kt gateway's answer`)
  }
  if (res.status === 401) throw new KtError(`the gateway at ${t.url} refused the token: pass its --auth-token (or set ${TOKEN_ENV})`)
  const o = body as Partial<ReloadOutcome>
  if (typeof o.ok !== 'boolean') throw new KtError(`${t.url}/admin/reload answered HTTP ${res.status}: ${text.slice(0, 200)}`)
  return {url: t.url, outcome: {ok: o.ok, file: o.file ?? null, lines: o.lines ?? [], errors: o.errors ?? [], warnings: o.warnings ?? []}}
}
