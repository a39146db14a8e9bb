// Placeholder until this format is written: matches nothing.
import type {Format} from './types.js'

export const litellmFormat: Format = {name: 'litellm', title: '(not yet available)', shapes: [], detect: () => false, open: () => ({parse: () => []})}
export const litellmSpendLogsFormat: Format = {name: 'litellm-spend-logs', title: '(not yet available)', shapes: [], detect: () => false, open: () => ({parse: () => []})}
