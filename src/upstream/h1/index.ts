export { H1Pool, type H1DispatchOptions, type H1Handler, type H1PoolOptions } from './pool.js';
export { ResponseParser, PState, type ParserSink } from './parser.js';
export { H1Error } from './errors.js';
