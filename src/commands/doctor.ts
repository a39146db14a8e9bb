import {Flags} from '@oclif/core'
import {KtCommand, dbFlag} from '../cli/base.js'
import {policyConfigFlag} from '../cli/config-flag.js'
import {DEFAULT_DOCTOR_TIMEOUT_MS, DEFAULT_GATEWAY_URL, GATEWAY_ENV, MIN_NODE_MAJOR, doctorExitCode, formatDoctorText, runDoctor} from '../app/doctor/index.js'
import {resolveDbPath} from '../store/index.js'

export default class Doctor extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Check that kt can run here: Node, database, config, API keys, targets, gateway'
  static override description = `Prints one line per check: ✓ fine, ⚠ worth knowing, ✗ must be fixed (what to do is on the line below).

- node: Node ${MIN_NODE_MAJOR} or newer.
- database: opens, migrates and accepts a write (rolled back, nothing changes); shows the path and schema version. A database that does not exist yet is fine: kt creates it on the first import.
- config: the config file lints ("no config file, using defaults" is fine).
- key ID: each configured target's API key variable is set (only its name is shown, never the value).
- reach ID: each configured target answers GET /v1/models within --timeout (401/403: reachable, but the key was refused). Simulated targets answer offline.
- gateway: a kt gateway answers GET /healthz at $${GATEWAY_ENV}, else the gateway running on this database (found by the gateway-PORT.json file it writes next to it), else ${DEFAULT_GATEWAY_URL}. Not running is a warning (only live traffic needs a gateway); the fix line says how to start one.

Exit status: 0 when nothing failed (warnings allowed), 1 when any check failed.`

  static override examples = [
    {description: 'Check the default database and ./policy-config.yaml', command: '<%= config.bin %> doctor'},
    {description: 'Check a given database and config, machine-readable', command: '<%= config.bin %> doctor --db ./kt.db --policy-config policy-config.yaml --json'},
    {description: 'Give slow networks more time', command: '<%= config.bin %> doctor --timeout 10000'},
  ]

  static override flags = {
    db: dbFlag,
    'policy-config': policyConfigFlag,
    'gateway-url': Flags.string({description: `the gateway to check [default: $${GATEWAY_ENV}, else the one running on this database, else ${DEFAULT_GATEWAY_URL}]`, helpValue: 'URL'}),
    timeout: Flags.integer({description: 'milliseconds to wait for each target and the gateway', default: DEFAULT_DOCTOR_TIMEOUT_MS, min: 1, helpValue: 'MS'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Doctor)
    const env = flags['gateway-url'] ? {...process.env, [GATEWAY_ENV]: flags['gateway-url']} : process.env
    const checks = await runDoctor({dbPath: resolveDbPath(flags.db), configFlag: flags['policy-config'], timeoutMs: flags.timeout, env})
    process.exitCode = doctorExitCode(checks)
    // --json: the checks as a JSON array of {check, status: ok|fail|warn, detail, fix}.
    if (this.jsonEnabled()) return checks
    this.out(formatDoctorText(checks))
    return undefined
  }
}
