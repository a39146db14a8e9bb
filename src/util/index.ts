// Small helpers every part may use: errors meant for users, time flags, rate limiters, CSV cell safety, size settings.
// Owns nothing stateful; imports nothing else in src/.
export {KtError, errorMessage, oneLine} from './errors.js'
export {Semaphore, TokenBucket, sleep} from './limits.js'
export {parseTimeFlag} from './time.js'
export {CSV_QUOTING, neutralize, unneutralize} from './csv.js'
export {formatBytes, parseSize, sizeSetting} from './size.js'
export {checkOutputPath, fsReason, streamFileAtomic, writeFileAtomic} from './atomic-file.js'
