import {Flags} from '@oclif/core'
import {TOKEN_ENV} from '../../app/gateway.js'
import {reloadGateway, reloadTargets, type ReloadResult} from '../../app/gateway-reload.js'
import {KtCommand, dbFlag} from '../../cli/base.js'

export default class ConfigReload extends KtCommand {
  static override enableJsonFlag = true
  static override summary = 'Make the running gateway re-read its config file, without dropping a connection'
  static override description = `Finds the gateway the way kt doctor does: every running "kt gateway run" writes gateway-PORT.json next to its
database (the --db / $KT_DB it was started with) and removes it on exit; kt config reload reads those files (for the
same database) and asks each gateway to reload through POST /admin/reload, authenticated by the admin token in the
file (readable only by the user who started it). For a gateway on another machine pass --url and its --auth-token.

On success it prints "✓ Configuration reloaded" and the new weights, mirrors and mappings. A file with errors is
refused: the errors are printed, the old configuration keeps serving, and the exit status is 1. Sending SIGHUP to the
gateway's process does the same reload (its result goes to the gateway's log). The OTLP exporter (telemetry.otlp)
keeps the settings it started with: a reload that changes them warns that the gateway must be restarted.`

  static override examples = [
    {description: 'Reload the gateway running on the default database', command: '<%= config.bin %> config reload'},
    {description: 'A gateway elsewhere', command: '<%= config.bin %> config reload --url http://gw.internal:41002 --auth-token "$KT_GATEWAY_TOKEN"'},
  ]

  static override flags = {
    db: dbFlag,
    url: Flags.string({description: 'base URL of the gateway (instead of finding it next to the database)', helpValue: 'URL'}),
    'auth-token': Flags.string({description: `the gateway's token, with --url [default: $${TOKEN_ENV}]`, helpValue: 'TOKEN'}),
  }

  async run(): Promise<ReloadResult[]> {
    const {flags} = await this.parse(ConfigReload)
    const targets = reloadTargets({url: flags.url, token: flags['auth-token'], dbFlag: flags.db})
    const results: ReloadResult[] = []
    for (const t of targets) results.push(await reloadGateway(t))
    if (!this.jsonEnabled()) {
      for (const r of results) {
        const where = results.length > 1 ? ` (${r.url})` : ''
        if (r.outcome.ok) {
          this.out(['✓ Configuration reloaded' + where, ...r.outcome.lines.filter((l) => !l.startsWith('Loaded '))].join('\n'))
          for (const w of r.outcome.warnings) this.note(`⚠ ${w}`)
        }
        else this.out([`✗ Configuration not reloaded${where}: the previous configuration keeps serving`, ...r.outcome.errors.map((e) => `  ${e}`)].join('\n'))
      }
    }
    if (results.some((r) => !r.outcome.ok)) process.exitCode = 1
    return results
  }
}
