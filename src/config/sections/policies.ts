// `policies:` in either shape — a list of {name, type, ...}, or `{chain: [names]}` with the settings under a
// top-level `policy:` map (a list may also name `policy:` entries) — into one ordered list. Each type's own
// keys and checks are in ../policies/.
import type {PathSeg} from '../issues.js'
import {didYouMean} from '../issues.js'
import {canonicalPolicyType} from '../names.js'
import {POLICY_NORMALISERS} from '../policies/registry.js'
import {describeValue, unknownKeyMessage} from '../schema.js'
import {POLICY_TYPES, type Policy} from '../types.js'
import {isObj, type Ctx, type Obj} from './context.js'

/** In application order (list order, or `policies.chain` order). */
export function policies(ctx: Ctx): Policy[] {
  const pol = ctx.data.policies
  const map = ctx.data.policy
  if (map !== undefined && !isObj(map)) {
    ctx.c.error(['policy'], `must be a mapping of policy name -> settings, got ${describeValue(map)}`)
  }
  const policyMap: Obj | undefined = isObj(map) ? map : undefined
  let out: Policy[] = []
  if (Array.isArray(pol)) out = listForm(ctx, pol, policyMap)
  else if (isObj(pol)) out = chainForm(ctx, pol, policyMap)
  else if (pol === undefined) {
    // Only a `policy:` map: apply its entries in file order.
    for (const key of Object.keys(policyMap ?? {})) {
      const policy = chainEntry(ctx, key, policyMap, ['policy', key])
      if (policy) out.push(policy)
    }
  } else {
    ctx.c.error(['policies'], `must be a list of policies or {chain: [names]}, got ${describeValue(pol)}`)
  }
  checkUnique(ctx, out)
  return out
}

function listForm(ctx: Ctx, pol: unknown[], policyMap: Obj | undefined): Policy[] {
  const out: Policy[] = []
  // A list may also name policies (strings), like a chain: their settings are under `policy:`.
  const named = new Set(pol.filter((e): e is string => typeof e === 'string'))
  if (policyMap) {
    if (named.size === 0) ctx.c.warn(['policy'], 'ignored: policies is a list of {name, type, ...} (policy: goes with policies: {chain: [...]})', {atKey: true})
    for (const key of Object.keys(policyMap)) {
      if (named.size > 0 && !named.has(key)) ctx.c.warn(['policy', key], 'not listed in policies; not applied', {atKey: true})
    }
  }
  pol.forEach((entry, i) => {
    const p: PathSeg[] = ['policies', i]
    if (typeof entry === 'string' && entry !== '') {
      const policy = chainEntry(ctx, entry, policyMap, p)
      if (policy) out.push(policy)
      return
    }
    if (!isObj(entry)) {
      ctx.c.error(p, `must be a mapping {name, type, ...}, got ${describeValue(entry)}`)
      return
    }
    let ok = true
    if (entry.name === undefined) {
      ctx.c.error([...p, 'name'], 'is required')
      ok = false
    }
    if (entry.type === undefined) {
      ctx.c.error([...p, 'type'], `is required (one of ${POLICY_TYPES.join(', ')})`)
      return
    }
    const policy = policyOf(ctx, entry, p, typeof entry.name === 'string' ? entry.name : '', entry.type, [...p, 'type'])
    if (policy && ok) out.push(policy)
  })
  return out
}

function chainForm(ctx: Ctx, pol: Obj, policyMap: Obj | undefined): Policy[] {
  const out: Policy[] = []
  for (const key of Object.keys(pol)) {
    if (key !== 'chain') ctx.c.warn(['policies', key], unknownKeyMessage(key, ['chain']), {atKey: true})
  }
  const chain = pol.chain
  if (chain === undefined) {
    ctx.c.error(['policies', 'chain'], 'is required (or write policies as a list of {name, type, ...})')
    return out
  }
  if (!Array.isArray(chain)) {
    ctx.c.error(['policies', 'chain'], `must be a list of policy names, got ${describeValue(chain)}`)
    return out
  }
  const inChain = new Set<string>()
  chain.forEach((name, j) => {
    const cp: PathSeg[] = ['policies', 'chain', j]
    if (typeof name !== 'string' || name === '') {
      ctx.c.error(cp, `must be a policy name, got ${describeValue(name)}`)
      return
    }
    if (inChain.has(name)) {
      ctx.c.error(cp, `"${name}" is listed twice`)
      return
    }
    inChain.add(name)
    const policy = chainEntry(ctx, name, policyMap, cp)
    if (policy) out.push(policy)
  })
  for (const key of Object.keys(policyMap ?? {})) {
    if (inChain.has(key)) continue
    ctx.c.warn(['policy', key], 'not listed in policies.chain; not applied', {atKey: true})
    chainEntry(ctx, key, policyMap, ['policy', key]) // still validated: a typo here is worth knowing
  }
  return out
}

/** Names must be unique, and only one quality scorer may decide what "pass" means. */
function checkUnique(ctx: Ctx, list: readonly Policy[]): void {
  const names = new Map<string, Policy>()
  let scorer: Policy | undefined
  for (const policy of list) {
    const {path, line} = policy.source
    const first = names.get(policy.name)
    if (first) ctx.c.addAt('error', path, line, `duplicate policy name "${policy.name}" (first at line ${first.source.line ?? '?'})`)
    else names.set(policy.name, policy)
    if (policy.type === 'quality-scorer' && policy.enabled) {
      if (scorer) {
        const firstAt = `first: "${scorer.name}", line ${scorer.source.line ?? '?'}`
        ctx.c.addAt('error', path, line, `a second enabled quality-scorer ("${policy.name}"); only one may be enabled (${firstAt})`)
      } else scorer = policy
    }
  }
}

/** A name in a chain (or a list): its settings under `policy:`, else a bare policy type with its defaults. */
function chainEntry(ctx: Ctx, name: string, policyMap: Obj | undefined, refPath: PathSeg[]): Policy | null {
  const entry = policyMap?.[name]
  if (entry !== undefined) {
    const p: PathSeg[] = ['policy', name]
    if (!isObj(entry)) {
      ctx.c.error(p, `must be a mapping of settings, got ${describeValue(entry)}`)
      return null
    }
    if (typeof entry.name === 'string' && entry.name !== name) {
      ctx.c.warn([...p, 'name'], `ignored: the key "${name}" names this policy`)
    }
    if (entry.type !== undefined) return policyOf(ctx, entry, p, name, entry.type, [...p, 'type'])
    if (!canonicalPolicyType(name)) {
      ctx.c.error([...p, 'type'], `is required: "${name}" is not a policy type (one of ${POLICY_TYPES.join(', ')})`)
      return null
    }
    return policyOf(ctx, entry, p, name, name, p)
  }
  // A chain may name a policy type that needs no settings, e.g. `chain: [audit-logger]`.
  if (canonicalPolicyType(name)) return policyOf(ctx, {}, refPath, name, name, refPath)
  const hint = didYouMean(name, [...Object.keys(policyMap ?? {}), ...POLICY_TYPES])
  ctx.c.error(refPath, `no policy "${name}": not a key under policy: and not a policy type${hint ? ` (did you mean "${hint}"?)` : ''}`)
  return null
}

function policyOf(ctx: Ctx, entry: Obj, p: PathSeg[], name: string, typeRaw: unknown, typePath: PathSeg[]): Policy | null {
  if (typeof typeRaw !== 'string') {
    ctx.c.error(typePath, `must be a policy type (one of ${POLICY_TYPES.join(', ')}), got ${describeValue(typeRaw)}`)
    return null
  }
  const type = canonicalPolicyType(typeRaw)
  if (!type) {
    const hint = didYouMean(typeRaw, POLICY_TYPES)
    ctx.c.error(typePath, `unknown policy type "${typeRaw}"; use one of ${POLICY_TYPES.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`)
    return null
  }
  const normalise = POLICY_NORMALISERS[type] as (ctx: Ctx, entry: Obj, p: PathSeg[], name: string) => Policy | null
  return normalise(ctx, entry, p, name)
}
