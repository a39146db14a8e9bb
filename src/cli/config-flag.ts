// The shared `--policy-config FILE` flag (alias `--config`) for commands that read the configuration.
// Kept apart from the rest of src/config so only commands pull in oclif.
import {Flags} from '@oclif/core'

export const policyConfigFlag = Flags.string({
  aliases: ['config'],
  helpValue: 'FILE',
  description: 'Policy/config YAML file (default: $KT_CONFIG, else ./policy-config.yaml if it exists).',
})
