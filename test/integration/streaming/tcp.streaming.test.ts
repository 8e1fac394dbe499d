/** Issue 6 over the framed TCP transport (streams multiplexed with calls, credit-based flow control). */
import { streamingSuite } from './streaming.suite.js';

streamingSuite('tcp');
