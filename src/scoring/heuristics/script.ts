// Language switches, judged by writing system: an answer in another script than the user wrote in.
import {scriptProfile, type Script, type ScriptProfile} from '../text.js'
import {SCRIPT_MIN_SHARE} from './thresholds.js'
import type {ScorePrompt} from './types.js'

const LANGUAGE_SCRIPTS: Record<string, Script[]> = {
  english: ['Latin'], spanish: ['Latin'], french: ['Latin'], german: ['Latin'], portuguese: ['Latin'], italian: ['Latin'],
  dutch: ['Latin'], polish: ['Latin'], turkish: ['Latin'], vietnamese: ['Latin'], indonesian: ['Latin'],
  swedish: ['Latin'], czech: ['Latin'], romanian: ['Latin'], latin: ['Latin'],
  russian: ['Cyrillic'], ukrainian: ['Cyrillic'], bulgarian: ['Cyrillic'], serbian: ['Cyrillic', 'Latin'],
  greek: ['Greek'], hebrew: ['Hebrew'], arabic: ['Arabic'], persian: ['Arabic'], farsi: ['Arabic'], urdu: ['Arabic'],
  hindi: ['Devanagari'], marathi: ['Devanagari'], nepali: ['Devanagari'], bengali: ['Bengali'], thai: ['Thai'],
  korean: ['Hangul'], japanese: ['Japanese', 'Han'], chinese: ['Han'], mandarin: ['Han'], cantonese: ['Han'],
  georgian: ['Georgian'], armenian: ['Armenian'],
}
const TRANSLATE_RE = /translat|traduc|übersetz|перев[ео]д|переведи|翻译|翻譯|翻訳|번역|ترجم/i
const LANGUAGE_RE = new RegExp(`\\b(?:in|into|to|using)\\s+(${Object.keys(LANGUAGE_SCRIPTS).join('|')})\\b`, 'i')

const promptScripts = new Map<string, ScriptProfile>()

/** scriptProfile of a prompt text, cached (both arms of a pair share the prompt). */
function promptScript(text: string): ScriptProfile {
  let hit = promptScripts.get(text)
  if (!hit) {
    hit = scriptProfile(text)
    if (promptScripts.size >= 256) promptScripts.delete(promptScripts.keys().next().value as string)
    promptScripts.set(text, hit)
  }
  return hit
}

export interface ScriptResult {
  script_match: boolean
  /** The prompt names a target language or asks for a translation: any script is accepted. */
  skipped: boolean
  /** The response's dominant script differs from the user's (allowed or not). */
  cross_script: boolean
  /** Share of the response's letters in the user's dominant script (null when undetermined). */
  user_script_share: number | null
}

/**
 * Language switch detection by writing system: mismatch when the response has a clear
 * dominant script, the user's text has a different one, and the user's script makes up less
 * than 15% of the response's letters. Code, URLs and inline code are ignored. A prompt that
 * asks for a translation, or names a language whose script the response uses ("answer in
 * Japanese"), is not judged.
 */
export function checkScript(prompt: ScorePrompt, text: string | null): ScriptResult {
  const none: ScriptResult = {script_match: true, skipped: false, cross_script: false, user_script_share: null}
  if (!text) return none
  const response = scriptProfile(text)
  if (response.dominant === null) return none
  let user = promptScript(prompt.lastUser)
  if (user.dominant === null) user = promptScript(prompt.allUserText)
  if (user.dominant === null) return none
  const share = response.shares[user.dominant] ?? 0
  // Japanese answered mostly in kanji (or a short Han prompt answered in Japanese) is not a switch.
  const cjkCompatible =
    (user.dominant === 'Japanese' && response.dominant === 'Han') ||
    (user.dominant === 'Han' && response.dominant === 'Japanese' && user.letters < 20)
  const cross = response.dominant !== user.dominant && !cjkCompatible
  const match = !cross || share >= SCRIPT_MIN_SHARE
  if (match) return {script_match: true, skipped: false, cross_script: cross, user_script_share: share}
  const asked = `${prompt.system ?? ''}\n${prompt.allUserText}\n${prompt.lastUser}`
  const named = LANGUAGE_RE.exec(asked)
  const allowed = named ? (LANGUAGE_SCRIPTS[named[1]!.toLowerCase()] ?? []) : []
  if (TRANSLATE_RE.test(prompt.lastUser) || allowed.includes(response.dominant)) {
    return {script_match: true, skipped: true, cross_script: true, user_script_share: share}
  }
  return {script_match: false, skipped: false, cross_script: true, user_script_share: share}
}
