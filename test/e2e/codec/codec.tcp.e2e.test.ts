/** Codecs through a live server over the tcp transport (see codec.suite.ts). */
import { codecSuite } from './codec.suite.js';

codecSuite('tcp');
