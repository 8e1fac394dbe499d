/** Size limits shared by the transports, the brokers and the service options. */

/**
 * Largest message body accepted by default, in bytes (4 MiB, go-micro's and gRPC's default): a
 * request a server reads, a reply or stream message a client reads, a broker message.
 */
export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
