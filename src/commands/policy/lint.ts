import {Flags} from '@oclif/core'
import {KtCommand} from '../../cli/base.js'
import {CONFIG_ENV, formatLintText, lintConfigFile, lintJson, resolveConfigPath} from '../../config/index.js'

export default class PolicyLint extends KtCommand {
  // --json: {valid, file, errors, warnings, summary}, with the same exit codes.
  static override enableJsonFlag = true
  static override summary = 'Check a policy configuration file and summarise it.'

  static override description = `Validates the YAML config (providers.targets, model_groups, traffic_mirror, providers.mirroring, canary, policies, pricing, gates). A valid file prints "✓ Configuration is valid", then "Providers: N (ids)", "Model groups: N (names)" and "Policies: N (names)", then one line per target, group, mirror and policy.
Every problem names its YAML path and line, e.g. "model_groups[0].targets[1].weight: must be a number >= 0 (line 14)". Unknown keys are warnings (⚠), not errors. A LiteLLM proxy config (model_list) is recognised as such, each deployment shown as a kt target.

Exit codes: 0 valid (warnings allowed), 1 the file has problems, 2 the file is missing or unreadable.
Without --file the file is $${CONFIG_ENV}, else ./policy-config.yaml.`

  static override examples = [
    {description: 'Check the default file (./policy-config.yaml or $KT_CONFIG)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check a given file', command: '<%= config.bin %> <%= command.id %> --file fixtures/policy-config.yaml'},
    {description: 'Machine-readable result for CI', command: '<%= config.bin %> <%= command.id %> --file policy-config.yaml --json'},
  ]

  static override flags = {
    file: Flags.string({
      char: 'f',
      aliases: ['policy-config', 'config'],
      helpValue: 'FILE',
      description: `Config file to check (default: $${CONFIG_ENV}, else ./policy-config.yaml).`,
    }),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(PolicyLint)
    const resolved = resolveConfigPath(flags.file)
    const result = lintConfigFile(resolved.path)
    process.exitCode = result.exitCode
    if (this.jsonEnabled()) return lintJson(result)
    if (result.exitCode === 2) {
      const hint = resolved.source === 'default' ? ' (pass --file FILE or set KT_CONFIG)' : resolved.source === 'env' ? ` (set by ${CONFIG_ENV})` : ''
      this.note(formatLintText(result) + hint)
    } else {
      this.out(formatLintText(result))
    }
    return undefined
  }
}
