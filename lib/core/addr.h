/*
 * Socket addresses as text, for logs, headers and the log record: the one place that turns
 * a sockaddr into "ip" or "ip:port" ("[ip]:port" for IPv6).
 *
 * Thread: any.
 */
#ifndef SL_CORE_ADDR_H
#define SL_CORE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Formats <addr> as "ip:port" into <out>. */
void sl_addr_format(const struct sockaddr_storage *addr, char *out, size_t len);
/* Writes the numeric address of <sa> (IPv4 or IPv6; "" for another family) into <out>
 * (INET6_ADDRSTRLEN bytes suffice) and returns its port. */
unsigned sl_addr_ip(const struct sockaddr *sa, char *out, size_t len);

#endif
