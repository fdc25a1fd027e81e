/* Socket addresses as text (see addr.h). */
#include "core/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

unsigned sl_addr_ip(const struct sockaddr *sa, char *out, size_t len)
{
    if (len)
        out[0] = '\0';
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)len);
        return ntohs(in->sin_port);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)len);
        return ntohs(in6->sin6_port);
    }
    return 0;
}

void sl_addr_format(const struct sockaddr_storage *addr, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    unsigned port = sl_addr_ip((const struct sockaddr *)addr, ip, sizeof(ip));
    snprintf(out, len, addr->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip[0] ? ip : "?",
             port);
}
