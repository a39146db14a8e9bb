// Request translation between OpenAI Chat Completions and Anthropic Messages bodies (docs/log-formats.md §3, §5), one
// file per direction (translate-to-anthropic.ts, translate-to-openai.ts). Every field that is dropped or only
// approximated is named in `losses`: a candidate's behaviour can only be compared fairly when the reader knows what
// the candidate was NOT asked.
import type {Json} from './json.js'

export interface Translation {
  body: Json
  losses: string[]
}

export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096
