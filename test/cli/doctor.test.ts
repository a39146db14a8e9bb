// `kt doctor` through the CLI (ktAsync: the servers below live in this process) against the fake upstream and
// small real servers for the answers the fake does not give (401 on /v1/models, a gateway, a server that hangs).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import Database from 'better-sqlite3'
import type {DoctorCheck} from '../../src/app/doctor/index.js'
import {openDb} from '../../src/store/db.js'
import {migrations} from '../../src/store/migrations.js'
import {BIN, ktAsync, tempDir, type RunResult} from '../support/cli.js'
import {startFakeUpstream, type FakeUpstream} from '../support/fake-upstream.js'

const KEY_A = 'sk-doctor-test-AAAAAAAAAAAA'
const KEY_B = 'sk-ant-doctor-test-BBBBBBBBBBBB'

interface Tiny {
  url: string
  port: number
  hits: {path: string; headers: IncomingMessage['headers']}[]
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1:0 answering with `handler` (or never, when it returns false). */
async function tinyServer(handler: (req: IncomingMessage, res: ServerResponse) => boolean | void): Promise<Tiny> {
  const hits: Tiny['hits'] = []
  const server: Server = createServer((req, res) => {
    hits.push({path: req.url ?? '', headers: req.headers})
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const t = await tinyServer(() => undefined)
  await t.close()
  return t.port
}

function parseChecks(r: RunResult): DoctorCheck[] {
  try {
    return JSON.parse(r.stdout) as DoctorCheck[]
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`)
  }
}

function byName(checks: DoctorCheck[], name: string): DoctorCheck {
  const c = checks.find((x) => x.check === name)
  assert.ok(c, `no check "${name}" in ${checks.map((x) => x.check).join(', ')}`)
  return c
}

function configFile(dir: string, targets: string): string {
  const f = join(dir, 'policy-config.yaml')
  writeFileSync(f, `providers:\n  targets:\n${targets}`)
  return f
}

describe('kt doctor', () => {
  let up: FakeUpstream
  let gateway: Tiny
  let deadGateway: string
  before(async () => {
    up = await startFakeUpstream()
    gateway = await tinyServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, {'content-type': 'application/json'})
      res.end('{"status":"ok"}')
    })
    deadGateway = `http://127.0.0.1:${await closedPort()}`
  })
  after(async () => {
    await up.close()
    await gateway.close()
  })

  /** Runs in `dir` (so no stray ./policy-config.yaml is read) with the gateway pointed somewhere known. */
  const doctor = (dir: string, args: string[], env: Record<string, string | undefined> = {}) =>
    ktAsync(['doctor', ...args], {cwd: dir, env: {KT_GATEWAY_URL: deadGateway, OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined, ...env}})

  test('everything fine: ✓ per check, keys named but never shown, both wire formats probed, exit 0', async () => {
    up.reset()
    const dir = tempDir()
    const db = join(dir, 'kt.db')
    openDb(db).close()
    const cfg = configFile(
      dir,
      `    - id: compat
      provider: openai-compatible
      model: llama3
      base_url: ${up.url}/v1
      secret_key_ref: {env: KT_DOCTOR_KEY_A}
    - id: claude
      provider: anthropic
      model: claude-sonnet-4-20250514
      base_url: ${up.url}
      secret_key_ref: {env: KT_DOCTOR_KEY_B}
    - id: sim
      provider: simulated
      model: sim-terse
`,
    )
    const env = {KT_DOCTOR_KEY_A: KEY_A, KT_DOCTOR_KEY_B: KEY_B, KT_GATEWAY_URL: gateway.url}
    const r = await doctor(dir, ['--db', db, '--policy-config', cfg, '--json'], env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const checks = parseChecks(r)
    assert.deepEqual(
      checks.map((c) => c.check),
      ['node', 'database', 'config', 'key:compat', 'reach:compat', 'key:claude', 'reach:claude', 'key:sim', 'reach:sim', 'gateway'],
    )
    for (const c of checks) {
      assert.equal(c.status, 'ok', `${c.check}: ${c.detail}`)
      assert.equal(c.fix, null)
    }
    assert.match(byName(checks, 'database').detail, new RegExp(`${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(schema v${migrations.length}, writable\\)`))
    assert.match(byName(checks, 'config').detail, /valid, 3 targets/)
    assert.equal(byName(checks, 'key:compat').detail, 'KT_DOCTOR_KEY_A is set')
    assert.match(byName(checks, 'reach:compat').detail, new RegExp(`GET ${up.url}/v1/models → 200`))
    assert.match(byName(checks, 'reach:claude').detail, new RegExp(`GET ${up.url}/v1/models → 200`))
    assert.match(byName(checks, 'reach:sim').detail, /offline/)
    assert.match(byName(checks, 'gateway').detail, new RegExp(`running at ${gateway.url}/health`))
    // The fake saw one OpenAI-style and one Anthropic-style models call, each with its own key.
    const models = up.calls.filter((c) => c.path === '/v1/models')
    assert.equal(models.length, 2)
    const openai = models.find((c) => c.headers['anthropic-version'] === undefined)!
    const anthropic = models.find((c) => c.headers['anthropic-version'] !== undefined)!
    assert.equal(openai.headers.authorization, `Bearer ${KEY_A}`)
    assert.equal(anthropic.headers['x-api-key'], KEY_B)
    assert.equal(anthropic.headers['anthropic-version'], '2023-06-01')
    assert.equal(up.callCount('/v1/chat/completions') + up.callCount('/v1/messages'), 0, 'doctor sends no generation request')
    for (const text of [r.stdout, r.stderr]) {
      assert.ok(!text.includes(KEY_A) && !text.includes(KEY_B), 'a key value was printed')
    }
    // The write probe was rolled back: nothing left in the database.
    const d = new Database(db, {readonly: true})
    assert.equal(d.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'kt_doctor_probe'").pluck().get(), 0)
    d.close()

    const text = await doctor(dir, ['--db', db, '--policy-config', cfg], env)
    assert.equal(text.code, 0)
    const lines = text.stdout.trimEnd().split('\n')
    assert.match(lines[0]!, /^✓ node +v\d+\./)
    assert.ok(lines.some((l) => /^✓ reach claude +reachable/.test(l)), text.stdout)
    assert.match(lines.at(-1)!, /^all checks passed$/)
    assert.doesNotMatch(text.stdout, /✗|⚠/)
  })

  test('no config, no database yet, no gateway: fine, with the gateway as a warning; nothing is created', async () => {
    const dir = tempDir()
    const db = join(dir, 'sub', 'kt.db')
    const r = await doctor(dir, ['--db', db, '--json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const checks = parseChecks(r)
    assert.deepEqual(checks.map((c) => c.check), ['node', 'database', 'config', 'gateway'])
    assert.equal(byName(checks, 'config').status, 'ok')
    assert.match(byName(checks, 'config').detail, /^no config file, using defaults/)
    assert.equal(byName(checks, 'database').status, 'ok')
    assert.match(byName(checks, 'database').detail, /does not exist yet/)
    assert.equal(existsSync(db), false, 'doctor must not create the database')
    const gw = byName(checks, 'gateway')
    assert.equal(gw.status, 'warn')
    assert.match(gw.detail, /not running/)
    const text = await doctor(dir, ['--db', db])
    assert.equal(text.code, 0)
    assert.match(text.stdout, /^⚠ gateway +not running/m)
    assert.match(text.stdout, /all checks passed \(1 warning\)/)
  })

  test('a key the endpoint refuses (401): ✗ reachable but refused, the echoed key scrubbed, exit 1', async () => {
    const refusing = await tinyServer((_req, res) => {
      res.writeHead(401, {'content-type': 'application/json'})
      // Real providers echo (part of) the key back; doctor must not print it.
      res.end(JSON.stringify({error: {message: `Incorrect API key provided: ${KEY_A}.`, type: 'invalid_request_error', code: 'invalid_api_key'}}))
    })
    try {
      const dir = tempDir()
      const cfg = configFile(dir, `    - id: main\n      provider: openai\n      model: gpt-4o-mini\n      base_url: ${refusing.url}/v1\n`)
      const r = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg, '--json'], {OPENAI_API_KEY: KEY_A})
      assert.equal(r.code, 1, r.stdout + r.stderr)
      const checks = parseChecks(r)
      assert.equal(byName(checks, 'key:main').status, 'ok')
      assert.equal(byName(checks, 'key:main').detail, 'OPENAI_API_KEY is set')
      const reach = byName(checks, 'reach:main')
      assert.equal(reach.status, 'fail')
      assert.match(reach.detail, /reachable, but the key was refused: GET .*\/v1\/models → 401: Incorrect API key provided: \[redacted\]/)
      assert.match(reach.fix ?? '', /OPENAI_API_KEY/)
      assert.equal(refusing.hits[0]!.headers.authorization, `Bearer ${KEY_A}`)
      assert.ok(!r.stdout.includes(KEY_A) && !r.stderr.includes(KEY_A), 'the key value was printed')
      const text = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg], {OPENAI_API_KEY: KEY_A})
      assert.equal(text.code, 1)
      assert.match(text.stdout, /^✗ reach main +reachable, but the key was refused/m)
      assert.match(text.stdout, /^ +→ check that OPENAI_API_KEY holds a valid/m)
      assert.match(text.stdout, /1 problem to fix/)
      assert.ok(!text.stdout.includes(KEY_A))
    } finally {
      await refusing.close()
    }
  })

  test('an unreachable port and a server that never answers: ✗ unreachable with the cause, within the timeout', async () => {
    const hanging = await tinyServer(() => false)
    try {
      const dir = tempDir()
      const port = await closedPort()
      const cfg = configFile(
        dir,
        `    - id: down
      provider: openai-compatible
      model: llama3
      base_url: http://127.0.0.1:${port}/v1
    - id: stuck
      provider: anthropic
      model: claude-sonnet-4-20250514
      base_url: ${hanging.url}
      secret_key_ref: {env: KT_DOCTOR_KEY_B}
`,
      )
      const t0 = Date.now()
      const r = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg, '--json', '--timeout', '400'], {KT_DOCTOR_KEY_B: KEY_B})
      const took = Date.now() - t0
      assert.equal(r.code, 1, r.stdout + r.stderr)
      const checks = parseChecks(r)
      const down = byName(checks, 'reach:down')
      assert.equal(down.status, 'fail')
      assert.match(down.detail, new RegExp(`unreachable: GET http://127.0.0.1:${port}/v1/models: connection refused`))
      assert.match(down.fix ?? '', /start the server, or correct base_url for target "down"/)
      assert.equal(byName(checks, 'key:down').status, 'ok', 'a compatible target without a key needs none')
      const stuck = byName(checks, 'reach:stuck')
      assert.equal(stuck.status, 'fail')
      assert.match(stuck.detail, /no answer within 400 ms/)
      assert.equal(hanging.hits.length, 1)
      assert.ok(took < 8000, `doctor took ${took} ms`)
    } finally {
      await hanging.close()
    }
  })

  test('a missing key: ✗ naming the variable, reachability still reported', async () => {
    up.reset()
    const dir = tempDir()
    const cfg = configFile(dir, `    - id: claude\n      provider: anthropic\n      model: claude-sonnet-4-20250514\n      base_url: ${up.url}/v1\n`)
    const r = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg, '--json'], {ANTHROPIC_API_KEY: '  '})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const checks = parseChecks(r)
    const key = byName(checks, 'key:claude')
    assert.equal(key.status, 'fail')
    assert.equal(key.detail, 'ANTHROPIC_API_KEY is empty')
    assert.match(key.fix ?? '', /^export ANTHROPIC_API_KEY=<your anthropic key>/)
    assert.equal(byName(checks, 'reach:claude').status, 'ok')
    assert.equal(up.calls[0]!.headers['x-api-key'], undefined, 'no key sent when there is none')
    const unset = parseChecks(await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg, '--json']))
    assert.equal(byName(unset, 'key:claude').detail, 'ANTHROPIC_API_KEY is not set')
  })

  test('a bad config file: ✗ with the first problem and its line; no target checks; a missing named file too', async () => {
    const dir = tempDir()
    const cfg = join(dir, 'bad.yaml')
    writeFileSync(cfg, 'providers:\n  targets:\n    - id: x\n      provider: nosuchprovider\n      model: m\n')
    const r = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', cfg, '--json'])
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const checks = parseChecks(r)
    const config = byName(checks, 'config')
    assert.equal(config.status, 'fail')
    assert.match(config.detail, /bad\.yaml \(named by --policy-config\): 1 problem: providers\.targets\[0\]\.provider: .*\(line 4\)/)
    assert.match(config.fix ?? '', /kt policy lint --file .*bad\.yaml/)
    assert.ok(!checks.some((c) => c.check.startsWith('key:') || c.check.startsWith('reach:')))

    const broken = join(dir, 'broken.yaml')
    writeFileSync(broken, 'providers: [unclosed\n')
    const b = parseChecks(await doctor(dir, ['--db', join(dir, 'kt.db'), '--json'], {KT_CONFIG: broken}))
    assert.equal(byName(b, 'config').status, 'fail')
    assert.match(byName(b, 'config').detail, /named by KT_CONFIG/)

    const missing = await doctor(dir, ['--db', join(dir, 'kt.db'), '--policy-config', join(dir, 'nope.yaml')])
    assert.equal(missing.code, 1)
    assert.match(missing.stdout, /^✗ config +config file not found: .*nope\.yaml \(named by --policy-config\)/m)
    assert.match(missing.stdout, /→ correct the path, create the file, or drop --policy-config/)
  })

  test('an old database is migrated and a newer one refused', async () => {
    const dir = tempDir()
    const old = join(dir, 'old.db')
    const d = new Database(old)
    d.exec(migrations[0]!)
    d.pragma('user_version = 1')
    d.close()
    const r = parseChecks(await doctor(dir, ['--db', old, '--json']))
    assert.equal(byName(r, 'database').status, 'ok')
    assert.match(byName(r, 'database').detail, new RegExp(`schema v${migrations.length}, migrated from v1, writable`))

    const newer = join(dir, 'newer.db')
    const n = new Database(newer)
    n.pragma(`user_version = ${migrations.length + 5}`)
    n.close()
    const out = await doctor(dir, ['--db', newer, '--json'])
    assert.equal(out.code, 1)
    const db = byName(parseChecks(out), 'database')
    assert.equal(db.status, 'fail')
    assert.match(db.detail, /newer than this kt understands/)
    assert.match(db.fix ?? '', /upgrade kt/)
  })

  test('a read-only database: ✗ read-only with what to do, exit 1', async (t) => {
    const dir = tempDir()
    const ro = join(dir, 'ro.db')
    openDb(join(dir, 'seed.db')).close()
    copyFileSync(join(dir, 'seed.db'), ro)
    chmodSync(ro, 0o444)
    chmodSync(dir, 0o755)
    // root ignores file modes, so run as an unprivileged user when we are root.
    const asRoot = process.getuid?.() === 0
    const args = ['doctor', '--db', ro, '--json']
    const r = asRoot ? await runAsNobody(args, dir, deadGateway) : await doctor(dir, args.slice(1))
    if (r === null) return t.skip('runuser unavailable')
    assert.equal(r.code, 1, r.stdout + r.stderr)
    const db = byName(parseChecks(r), 'database')
    assert.equal(db.status, 'fail')
    assert.match(db.detail, new RegExp(`ro\\.db.*read-only.*\\(schema v${migrations.length}\\)`))
    assert.match(db.fix ?? '', /writable/)
  })
})

/** ktAsync as user nobody (HOME=/tmp); null when runuser is missing. */
function runAsNobody(args: string[], cwd: string, gatewayUrl: string): Promise<RunResult | null> {
  const env: Record<string, string | undefined> = {...process.env, KT_DB: undefined, KT_HOME: undefined, KT_CONFIG: undefined, KT_NO_PROGRESS: '1', HOME: '/tmp', KT_GATEWAY_URL: gatewayUrl}
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], {cwd, env: env as NodeJS.ProcessEnv})
    let stdout = ''
    let stderr = ''
    child.on('error', () => resolve(null))
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({code: code ?? 1, stdout, stderr}))
  })
}
