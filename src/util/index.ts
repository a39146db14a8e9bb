// Public face of src/util/.
export {KtError, errorMessage} from './errors.js'
export {Semaphore, TokenBucket, sleep} from './limits.js'
export {parseTimeFlag} from './time.js'
