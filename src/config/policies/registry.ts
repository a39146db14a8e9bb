// One normaliser per policy type; adding a type means one file and one line here.
import type {Policy, PolicyType} from '../types.js'
import {auditLogger} from './audit-logger.js'
import type {PolicyNormaliser} from './common.js'
import {contentFilter} from './content-filter.js'
import {costLimit} from './cost-limit.js'
import {log} from './log.js'
import {modelFilter} from './model-filter.js'
import {qualityScorer} from './quality-scorer.js'
import {trafficSplit} from './traffic-split.js'

export const POLICY_NORMALISERS: {[T in PolicyType]: PolicyNormaliser<Extract<Policy, {type: T}>>} = {
  'quality-scorer': qualityScorer,
  'audit-logger': auditLogger,
  content_filter: contentFilter,
  model_filter: modelFilter,
  traffic_split: trafficSplit,
  log,
  cost_limit: costLimit,
}
