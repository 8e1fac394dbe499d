/** Codecs through a live server over the http transport (see codec.suite.ts). */
import { codecSuite } from './codec.suite.js';

codecSuite('http');
